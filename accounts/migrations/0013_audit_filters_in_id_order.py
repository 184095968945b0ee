"""The audit list's filter indexes on one column each, (column, id) in InnoDB: the list is newest
first by id, and the (column, created_at DESC) indexes served neither that order nor the filters'
DISTINCT choices (a descending key part rules out MariaDB's loose index scan)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_character_ranges")]

    operations = [
        migrations.RemoveIndex("auditentry", "audit_actor_recent"),
        migrations.RemoveIndex("auditentry", "audit_action_recent"),
        migrations.RemoveIndex("auditentry", "audit_target_recent"),
        migrations.RemoveIndex("auditentry", "audit_target_id_recent"),
        migrations.AddIndex("auditentry", models.Index(fields=["actor_name"], name="audit_by_actor")),
        migrations.AddIndex("auditentry", models.Index(fields=["action"], name="audit_by_action")),
        migrations.AddIndex("auditentry", models.Index(fields=["target_name"], name="audit_by_target")),
        migrations.AddIndex("auditentry", models.Index(fields=["target_id"], name="audit_by_target_id")),
    ]
