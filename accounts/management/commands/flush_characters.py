from django.core.management.base import BaseCommand

from accounts.character_state import character_states_flush


class Command(BaseCommand):
    help = "Write every changed character's hot state from Redis to the database now."

    def handle(self, *args, **options):
        self.stdout.write(f"Characters written: {character_states_flush()}")
