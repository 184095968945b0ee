"""The staff roles: "Game master" (every game-master action and the notice, characters, game
content, and reading users, chat messages, the audit trail and the unsaved character writes) and
"Moderator" (chat mutes and kicks). `manage.py make_gm` puts a user in one of them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ACTIONS = ["heal_character", "grant_exp", "set_weapon_level", "reset_character", "mute_player", "kick_player",
           "ban_player", "send_notice"]
CONTENT = ["view_dungeon", "change_dungeon", "view_monstertemplate", "change_monstertemplate", "view_skill",
           "change_skill", "view_npcline", "change_npcline"]
ROLES = {
    "Game master": [*ACTIONS, "view_character", "change_character", "view_user", "view_chatmessage",
                    "view_auditentry", "view_setasidewrite", *CONTENT],
    "Moderator": ["mute_player", "kick_player", "view_character", "view_user", "view_chatmessage"],
}


def _groups_create(apps, schema_editor):
    # Permissions are made after migrating; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    apps_of_models = {"accounts", "chat", "battles", "village"}
    for name, codenames in ROLES.items():
        permissions = Permission.objects.filter(content_type__app_label__in=apps_of_models, codename__in=codenames)
        assert permissions.count() == len(codenames), (name, codenames)
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def _groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_send_notice_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("battles", "0003_exact_monster_stats"),
        ("chat", "0001_initial"),
        ("village", "0002_npc_names_translated"),
    ]

    operations = [migrations.RunPython(_groups_create, _groups_delete)]
