from django.core.management.base import BaseCommand

from battles.content import fight_content_load
from battles.models import Dungeon, MonsterTemplate, Skill
from village.services import npc_lines_load


class Command(BaseCommand):
    help = (
        "Load the game's content (NPC lines; dungeons, monsters and skills come with the migrations) "
        "if missing; --reset replaces all of it, game masters' edits included, with the shipped content."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="replace the content with the shipped one")

    def handle(self, *args, reset=False, **options):
        lines = npc_lines_load(reset=reset)
        dungeons = fight_content_load(Dungeon, MonsterTemplate, Skill, reset=reset)
        self.stdout.write(f"NPC lines loaded: {lines}; dungeons loaded: {dungeons}")
