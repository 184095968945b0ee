"""Seed users user1…userN, each with a character, for game masters and load tests.

    manage.py seed_users --count 2000000

One password hash for all (PASSWORD below; hashing each would take hours). On MySQL/MariaDB the
rows go in with LOAD DATA LOCAL INFILE from generated files; elsewhere with multi-row INSERTs.
Existing usernames and characters are skipped (the unique indexes decide), so a second run fills
in what is missing and never duplicates. Levels and stats are spread so the admin has variety.
"""

import csv
import tempfile
import time
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Character, User
from battles.rules import exp_to_leave, stats_for_level

PASSWORD = "qwe123"  # the original's load-test accounts used it too
BATCH = 200_000
INSERT_BATCH = 5_000


def seeded_name(index: int) -> str:
    return f"user{index}"


def character_row(index: int) -> dict:
    """Deterministic variety: levels 1–60 (most low), weapons, records."""
    level = 1 + (index * 7919 % 3600) // 60 if index % 5 == 0 else 1 + index * 31 % 15
    weapon = 1 + index % 12
    stats = stats_for_level(level, weapon)
    exp = (exp_to_leave(level - 1) if level > 1 else 0) + index % 37
    rating = 1000 + index % 400 - 200
    return {**stats, "level": level, "exp": exp, "weapon_level": weapon, "kills": index * 13 % 5000,
            "deaths": index % 17, "arena_wins": index % 23, "arena_losses": index % 19,
            "arena_rating": rating, "arena_best_rating": max(1000, rating)}  # fmt: skip


CHARACTER_COLUMNS = ["level", "exp", "hp", "max_hp", "mp", "max_mp", "attack", "defense", "weapon_level", "kills",
                     "deaths", "arena_wins", "arena_losses", "arena_rating", "arena_best_rating"]  # fmt: skip


class Command(BaseCommand):
    help = "Seed users user1..userN with characters (idempotent; LOAD DATA on MySQL)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000)

    def handle(self, *args, count: int, **options):
        started = time.perf_counter()
        password = make_password(PASSWORD)
        load = self._load_mysql if connection.vendor == "mysql" else self._load_orm
        users_before, characters_before = User.objects.count(), Character.objects.count()
        with tqdm(total=count * 2, desc="seeding", unit="row", unit_scale=True) as progress:
            load(count, password, progress)
        elapsed = time.perf_counter() - started
        users = User.objects.count() - users_before
        characters = Character.objects.count() - characters_before
        self.stdout.write(
            f"users added {users}, characters added {characters} in {elapsed:.1f} s "
            f"({(users + characters) / elapsed:,.0f} rows/s)"
        )

    # --- MySQL / MariaDB: LOAD DATA LOCAL INFILE, batch by batch

    def _load_mysql(self, count: int, password: str, progress) -> None:
        now = timezone.now().strftime("%Y-%m-%d %H:%M:%S.%f")
        with tempfile.TemporaryDirectory() as folder, _local_infile_connection() as db:
            cursor = db.cursor()
            for start in range(1, count + 1, BATCH):
                indexes = range(start, min(start + BATCH, count + 1))
                users = Path(folder) / "users.tsv"
                with users.open("w", newline="") as f:
                    writer = csv.writer(f, delimiter="\t", lineterminator="\n")
                    for i in indexes:
                        writer.writerow([seeded_name(i), password, 0, 1, 0, now])
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE '{users}' IGNORE INTO TABLE accounts_user "
                    "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' "
                    "(username, password, is_superuser, is_active, is_staff, date_joined)"
                )
                progress.update(len(indexes))
                ids = _user_ids(cursor, indexes)
                characters = Path(folder) / "characters.tsv"
                with characters.open("w", newline="") as f:
                    writer = csv.writer(f, delimiter="\t", lineterminator="\n")
                    for i in indexes:
                        row = character_row(i)
                        writer.writerow([ids[i], seeded_name(i), now, *(row[c] for c in CHARACTER_COLUMNS)])
                columns = ", ".join(["user_id", "name", "created_at", *CHARACTER_COLUMNS])
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE '{characters}' IGNORE INTO TABLE accounts_character "
                    f"CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ({columns})"
                )
                db.commit()
                progress.update(len(indexes))

    # --- elsewhere (SQLite): multi-row INSERTs that skip what exists

    def _load_orm(self, count: int, password: str, progress) -> None:
        now = timezone.now()
        for start in range(1, count + 1, INSERT_BATCH):
            indexes = range(start, min(start + INSERT_BATCH, count + 1))
            User.objects.bulk_create(
                [User(username=seeded_name(i), password=password, date_joined=now) for i in indexes],
                ignore_conflicts=True,
            )
            progress.update(len(indexes))
            ids = dict(User.objects.filter(username__in=[seeded_name(i) for i in indexes]).values_list("username", "id"))
            Character.objects.bulk_create(
                [Character(user_id=ids[seeded_name(i)], name=seeded_name(i), created_at=now, **character_row(i)) for i in indexes],
                ignore_conflicts=True,
            )
            progress.update(len(indexes))


def _user_ids(cursor, indexes: range) -> dict[int, int]:
    """The ids of the users of a batch, seeded now or before."""
    names = [seeded_name(i) for i in indexes]
    found: dict[int, int] = {}
    for start in range(0, len(names), 10_000):
        chunk = names[start : start + 10_000]
        cursor.execute(f"SELECT username, id FROM accounts_user WHERE username IN ({', '.join(['%s'] * len(chunk))})", chunk)
        for username, user_id in cursor.fetchall():
            found[int(username[4:])] = user_id
    return found


class _local_infile_connection:
    """A connection of its own with LOCAL INFILE allowed (never for the application's)."""

    def __enter__(self):
        import MySQLdb

        db = connection.settings_dict
        self.db = MySQLdb.connect(
            host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306), user=db["USER"], password=db["PASSWORD"],
            database=db["NAME"], charset="utf8mb4", local_infile=True,
        )  # fmt: skip
        return self.db

    def __exit__(self, *exc):
        self.db.close()
