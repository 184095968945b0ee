from django.db import migrations


def load(apps, schema_editor):
    from battles.content import fight_content_load

    fight_content_load(
        apps.get_model("battles", "Dungeon"),
        apps.get_model("battles", "MonsterTemplate"),
        apps.get_model("battles", "Skill"),
        reset=False,
    )


class Migration(migrations.Migration):
    dependencies = [("battles", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
