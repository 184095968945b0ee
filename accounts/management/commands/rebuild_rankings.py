"""Rebuild the rankings' boards (level, kills, arena, this week) from the database, e.g. after Redis
lost its data (Celery beat's rankings check does it by itself within a minute):

    manage.py rebuild_rankings
"""

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from accounts.models import Character
from accounts.rankings import rankings_rebuild


class Command(BaseCommand):
    help = "Rebuild the rankings' boards in Redis from the database."

    def handle(self, *args, **options):
        started = time.perf_counter()
        with tqdm(total=Character.objects.count(), unit="row", unit_scale=True, desc="ranking") as bar:
            placed = rankings_rebuild(bar.update)
        seconds = time.perf_counter() - started
        self.stdout.write(f"{placed} characters ranked in {seconds:.1f} s ({placed / max(seconds, 1e-9):,.0f} rows/s)")
