from django.core.management.base import BaseCommand

from village.services import npc_lines_load


class Command(BaseCommand):
    help = "Load the game's content (NPC lines, ...) if missing; --reset replaces edited content."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="replace the content with the shipped one")

    def handle(self, *args, reset=False, **options):
        count = npc_lines_load(reset=reset)
        self.stdout.write(f"NPC lines loaded: {count}")
