from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Greatest


def best_from_current(apps, schema_editor):
    """Nothing older is known: the best so far is the current rating (or the starting 1000)."""
    Character = apps.get_model("accounts", "Character")
    Character.objects.update(arena_best_rating=Greatest("arena_rating", Value(1000)))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_arena_rating_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='character',
            name='arena_best_rating',
            field=models.IntegerField(default=1000),
        ),
        migrations.RunPython(best_from_current, migrations.RunPython.noop),
    ]
