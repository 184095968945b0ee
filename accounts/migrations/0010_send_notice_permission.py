"""A permission for game masters' in-game announcements (`notice <text>`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_set_aside_writes")]

    operations = [
        migrations.AlterModelOptions("character", {"permissions": [
            ("heal_character", "Can heal characters"),
            ("grant_exp", "Can grant exp"),
            ("set_weapon_level", "Can set weapon levels"),
            ("reset_character", "Can reset characters"),
            ("mute_player", "Can mute players"),
            ("kick_player", "Can kick players"),
            ("ban_player", "Can ban players"),
            ("send_notice", "Can send notices to every player"),
        ]}),
    ]
