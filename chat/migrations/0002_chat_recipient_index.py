"""An index on the whisper's recipient: the admin finds a player's messages by exact name, sent or
received, newest first ((recipient_name, id) in InnoDB, as the sender's index already is)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [
        migrations.AlterField(
            "chatmessage", "recipient_name",
            models.CharField(blank=True, db_index=True, default="", max_length=16, verbose_name="to"),
        ),
    ]
