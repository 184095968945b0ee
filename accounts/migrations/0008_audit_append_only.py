"""Audit entries keep their actor and target as ids, not foreign keys: deleting an account keeps them.

Per-action permissions for game masters (the groups that hold them come in a later migration).
"""

from django.db import migrations, models


def _ids_copy(apps, schema_editor):
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    AuditEntry.objects.update(actor_ref=models.F("actor_id"), target_id=models.F("character_id"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_character_auto_retreat")]

    operations = [
        migrations.AddField("auditentry", "actor_ref", models.PositiveIntegerField(null=True)),
        migrations.AddField("auditentry", "target_id",
                            models.PositiveIntegerField(null=True, verbose_name="character id")),
        migrations.RunPython(_ids_copy, migrations.RunPython.noop),
        migrations.RemoveField("auditentry", "actor"),
        migrations.RemoveField("auditentry", "character"),
        migrations.RenameField("auditentry", "actor_ref", "actor_id"),
        migrations.AlterField("auditentry", "actor_id",
                              models.PositiveIntegerField(null=True, verbose_name="staff member id")),
        migrations.AlterField("auditentry", "action", models.CharField(max_length=32, verbose_name="action")),
        migrations.AlterField("auditentry", "target_name", models.CharField(max_length=16, verbose_name="player")),
        migrations.AddIndex("auditentry", models.Index(fields=["actor_name", "-created_at"], name="audit_actor_recent")),
        migrations.AddIndex("auditentry", models.Index(fields=["action", "-created_at"], name="audit_action_recent")),
        migrations.AddIndex("auditentry", models.Index(fields=["target_name", "-created_at"], name="audit_target_recent")),
        migrations.AddIndex("auditentry", models.Index(fields=["target_id", "-created_at"], name="audit_target_id_recent")),
        migrations.AlterModelOptions("character", {"permissions": [
            ("heal_character", "Can heal characters"),
            ("grant_exp", "Can grant exp"),
            ("set_weapon_level", "Can set weapon levels"),
            ("reset_character", "Can reset characters"),
            ("mute_player", "Can mute players"),
            ("kick_player", "Can kick players"),
            ("ban_player", "Can ban players"),
        ]}),
    ]
