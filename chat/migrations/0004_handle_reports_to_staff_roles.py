"""`handle_reports` (see and close player reports) for both staff roles made by accounts 0011_gm_groups:
the Moderator, whose work reports are, and the Game master, who has every game-master action."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("Moderator", "Game master")


def _grant(apps, schema_editor):
    # Permissions are made after migrating; a fresh database needs this one now.
    app_config = apps.get_app_config("chat")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="chat", codename="handle_reports")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(permission)


def _revoke(apps, schema_editor):
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type__app_label="chat", codename="handle_reports"):
        for group in Group.objects.filter(name__in=ROLES):
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_ignores_and_reports"), ("accounts", "0011_gm_groups")]

    operations = [migrations.RunPython(_grant, _revoke)]
