"""Give a user a staff role: manage.py make_gm <username> [--moderator]

Staff status and the "Game master" group (every game-master action), or with --moderator the
"Moderator" group (chat mutes and kicks); the other role is taken away.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.services import GAME_MASTER_GROUP, MODERATOR_GROUP, staff_role_grant


class Command(BaseCommand):
    help = 'Make a user staff in the "Game master" group (or "Moderator" with --moderator).'

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--moderator", action="store_true", help="chat mutes and kicks only")

    def handle(self, *args, username, moderator, **options):
        try:
            user = staff_role_grant(username=username, moderator=moderator)
        except LookupError:
            raise CommandError(f"No user named {username!r}.") from None
        role = MODERATOR_GROUP if moderator else GAME_MASTER_GROUP
        self.stdout.write(f"{user.username} is now staff in the {role} group.")
