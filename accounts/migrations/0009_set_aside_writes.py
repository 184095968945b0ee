"""Character writes the database refused, set aside by the write-behind for a game master (issue 15)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_audit_append_only")]

    operations = [
        migrations.CreateModel(
            name="SetAsideWrite",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("character_id", models.PositiveIntegerField(db_index=True, verbose_name="character id")),
                ("character_name", models.CharField(max_length=16, verbose_name="character")),
                ("values", models.JSONField(default=dict, verbose_name="values refused")),
                ("error", models.TextField(verbose_name="error")),
                ("attempts", models.PositiveIntegerField(default=1, verbose_name="attempts")),
                ("first_failed_at", models.DateTimeField(default=django.utils.timezone.now,
                                                         verbose_name="first failed")),
                ("last_failed_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="last failed")),
                ("resolved_at", models.DateTimeField(blank=True, db_index=True, null=True, verbose_name="resolved")),
            ],
            options={
                "verbose_name": "unsaved character write",
                "verbose_name_plural": "unsaved character writes",
                "ordering": ["-last_failed_at"],
            },
        ),
    ]
