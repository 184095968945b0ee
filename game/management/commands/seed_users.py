"""Seed users user1…userN, each with a character, for game masters and load tests; optionally chat
messages and audit entries too, for the admin's benchmark (bench_admin).

    manage.py seed_users --count 2000000 [--chat 1000000] [--audit 1000000]

One password hash for all (PASSWORD below; hashing each would take hours). The command first reads
which seeded names exist, then writes only the missing ones, with ids of its own choosing (so the
characters need no read-back of their users' ids): a second run adds nothing. `--chat` and `--audit`
top those tables up to the given number of rows. Not for a database that players are writing to at
the same moment.

On MySQL/MariaDB each table goes in with LOAD DATA LOCAL INFILE from a generated file, one
transaction per table. Into an empty table it runs without unique and foreign key checks, which
lets InnoDB build its indexes by sorting (MariaDB's bulk load into an empty table); the names were
checked beforehand, and an empty table holds nothing to collide with. Elsewhere (SQLite), multi-row
INSERTs. Levels and stats are spread so the admin has variety.
"""

import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from accounts.models import AuditEntry, Character, User
from accounts.progression import exp_to_leave, stats_for_level
from chat.models import ChatMessage

PASSWORD = "qwe123"  # the original's load-test accounts used it too
PREFIX = "user"
CHUNK = 250_000  # rows a LOAD DATA statement (the progress bar moves a chunk at a time)
INSERT_BATCH = 5_000
NULL = "\\N"  # LOAD DATA's NULL
SEEDED_SPAN = timedelta(days=365)  # chat messages and audit entries are spread over the last year
GAME_MASTERS = ["gm", "gm2", "gm3", "gm4", "gm5"]  # the audit entries' authors (names only)
AUDIT_ACTIONS = ["heal", "grant_exp", "set_weapon", "reset", "mute", "kick", "ban", "unban"]
CHAT_TEXTS = ["안녕하세요", "같이 사냥하실 분?", "ㅋㅋㅋ", "hello", "gg", "3던전 어디예요?", "무기 강화 성공!", "brb"]

CHARACTER_COLUMNS = [
    "level",
    "exp",
    "hp",
    "max_hp",
    "mp",
    "max_mp",
    "attack",
    "defense",
    "weapon_level",
    "kills",
    "deaths",
    "arena_wins",
    "arena_losses",
    "arena_rating",
    "arena_best_rating",
]


def seeded_name(index: int) -> str:
    return f"{PREFIX}{index}"


VARIETY = 10_007  # the characters' levels and records repeat with this period (a prime), so a row is a lookup


@lru_cache(maxsize=VARIETY)
def _variety(slot: int) -> tuple[int, ...]:
    """Deterministic variety, in CHARACTER_COLUMNS order: levels 1–60 (most low), weapons, records."""
    level = 1 + (slot * 7919 % 3600) // 60 if slot % 5 == 0 else 1 + slot * 31 % 15
    weapon = 1 + slot % 12
    stats = stats_for_level(level, weapon)
    exp = (exp_to_leave(level - 1) if level > 1 else 0) + slot % 37
    rating = 1000 + slot % 400 - 200
    return (
        level,
        exp,
        stats["hp"],
        stats["max_hp"],
        stats["mp"],
        stats["max_mp"],
        stats["attack"],
        stats["defense"],
        weapon,
        slot * 13 % 5000,
        slot % 17,
        slot % 23,
        slot % 19,
        rating,
        max(1000, rating),
    )


@lru_cache(maxsize=VARIETY)
def character_tail(slot: int) -> str:
    """A row's CHARACTER_COLUMNS as a LOAD DATA file has them."""
    return "\t".join(map(str, _variety(slot)))


def character_row(index: int) -> dict:
    return dict(zip(CHARACTER_COLUMNS, _variety(index % VARIETY), strict=True))


def chat_values(k: int, count: int) -> tuple[int, str, str, str]:
    """The k-th seeded message: (sender index, channel, recipient, text); a fifth are whispers."""
    sender = 1 + k * 7919 % count
    if k % 5 == 0:
        return sender, "whisper", seeded_name(1 + k * 104_729 % count), CHAT_TEXTS[k % len(CHAT_TEXTS)]
    return sender, f"global-{1 + k % 20}", "", CHAT_TEXTS[k % len(CHAT_TEXTS)]


def audit_values(k: int, count: int) -> tuple[str, str, int]:
    """The k-th seeded audit entry: (game master, action, target index)."""
    return GAME_MASTERS[k % len(GAME_MASTERS)], AUDIT_ACTIONS[k * 3 % len(AUDIT_ACTIONS)], 1 + k * 6151 % count


def _seeded_index(name: str, count: int) -> int | None:
    digits = name[len(PREFIX) :]
    if digits.isdigit() and digits[0] != "0" and int(digits) <= count:
        return int(digits)
    return None


class Command(BaseCommand):
    help = "Seed users user1..userN with characters, and optionally chat messages and audit entries (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--chat", type=int, default=0, help="top chat messages up to this many rows")
        parser.add_argument("--audit", type=int, default=0, help="top audit entries up to this many rows")

    def handle(self, *args, count: int, chat: int, audit: int, **options):
        if count < 1 and (chat or audit):
            raise CommandError("--chat and --audit need seeded players (--count of at least 1)")
        started = time.perf_counter()
        seeder = MysqlSeeder() if connection.vendor == "mysql" else OrmSeeder()
        chat_have = ChatMessage.objects.count() if chat else 0
        audit_have = AuditEntry.objects.count() if audit else 0
        chat_missing, audit_missing = max(0, chat - chat_have), max(0, audit - audit_have)
        with tqdm(
            total=count * 2 + chat_missing + audit_missing, desc="seeding", unit="row", unit_scale=True
        ) as progress:
            users, characters = seeder.seed(
                count, range(chat_have, max(chat, chat_have)), range(audit_have, max(audit, audit_have)), progress
            )
        elapsed = time.perf_counter() - started
        added = users + characters + chat_missing + audit_missing
        self.stdout.write(
            f"users added {users}, characters added {characters}, chat messages added {chat_missing}, "
            f"audit entries added {audit_missing} in {elapsed:.1f} s ({added / elapsed:,.0f} rows/s)"
        )


def _seeded_rows(count: int) -> tuple[dict[int, int], dict[int, int], set[int]]:
    """What exists: seeded user ids and character ids by index, and the users that own a character."""
    users = {}
    for username, user_id in (
        User.objects.filter(username__startswith=PREFIX).values_list("username", "pk").iterator(chunk_size=50_000)
    ):
        if (index := _seeded_index(username, count)) is not None:
            users[index] = user_id
    characters = {}
    for name, character_id in (
        Character.objects.filter(name__startswith=PREFIX).values_list("name", "pk").iterator(chunk_size=50_000)
    ):
        if (index := _seeded_index(name, count)) is not None:
            characters[index] = character_id
    # A seeded user whose character has another name keeps it (a user has one character).
    without = [user_id for index, user_id in users.items() if index not in characters]
    owners = set()
    for start in range(0, len(without), 10_000):
        owners |= set(
            Character.objects.filter(user_id__in=without[start : start + 10_000]).values_list("user_id", flat=True)
        )
    return users, characters, owners


def _next_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def _spread(k: int, total: int, now: datetime) -> datetime:
    """The k-th of `total` seeded rows' time: the last year, oldest first (ids follow time)."""
    return now - SEEDED_SPAN + SEEDED_SPAN * (k + 1) / (total + 1)


class MysqlSeeder:
    """LOAD DATA LOCAL INFILE, a table per connection and transaction, two tables at a time (while
    one table's rows are being generated, the other's load in the database)."""

    def seed(self, count: int, chat: range, audit: range, progress) -> tuple[int, int]:
        users, characters, owners = _seeded_rows(count)
        now = timezone.now().strftime("%Y-%m-%d %H:%M:%S.%f")
        # Ids of our choosing, consecutive: LOAD DATA's own would leave a gap at the end of every
        # statement (it reserves auto-increment values in growing blocks), and the admin pages by id.
        next_user, next_character = _next_id(User), _next_id(Character)
        next_chat, next_audit = _next_id(ChatMessage), _next_id(AuditEntry)
        # In name order, with ids in that order too: every index of the table (the ids, the unique
        # names, the characters' users) then grows at its end instead of taking rows all over its pages.
        name_order = sorted(range(1, count + 1), key=seeded_name)
        new_users = [index for index in name_order if index not in users]
        users.update(zip(new_users, range(next_user, next_user + len(new_users)), strict=True))
        new_characters = [i for i in name_order if i not in characters and users[i] not in owners]
        characters.update(zip(new_characters, range(next_character, next_character + len(new_characters)), strict=True))
        progress.update(2 * count - len(new_users) - len(new_characters))
        empty = [
            model._meta.db_table for model in (User, Character, ChatMessage, AuditEntry) if not model.objects.exists()
        ]
        with statistics_held(empty), ThreadPoolExecutor(max_workers=2) as pool:
            users_loaded = pool.submit(
                self._load,
                User._meta.db_table,
                "(id, username)",
                f"SET password = '{make_password(PASSWORD)}', is_superuser = 0, is_active = 1, is_staff = 0, "
                f"date_joined = '{now}'",
                (f"{users[i]}\t{seeded_name(i)}\n" for i in new_users),
                len(new_users),
                progress,
            )
            columns = ", ".join(["id", "user_id", "name", *CHARACTER_COLUMNS])
            characters_loaded = pool.submit(
                self._load,
                Character._meta.db_table,
                f"({columns})",
                f"SET created_at = '{now}'",
                (
                    f"{characters[i]}\t{users[i]}\t{seeded_name(i)}\t{character_tail(i % VARIETY)}\n"
                    for i in new_characters
                ),
                len(new_characters),
                progress,
                after=users_loaded,
            )
            chat_loaded = pool.submit(
                self._load,
                ChatMessage._meta.db_table,
                "(id, channel, sender_id, sender_name, recipient_name, text, @k)",
                self._spread_sql(chat.stop),
                (self._chat_line(k, next_chat + k - chat.start, count, characters) for k in chat),
                len(chat),
                progress,
                after=characters_loaded,
            )
            audit_loaded = pool.submit(
                self._load,
                AuditEntry._meta.db_table,
                "(id, actor_name, action, target_id, target_name, @k)",
                self._spread_sql(audit.stop) + ", `before` = '{}', `after` = '{}'",
                (self._audit_line(k, next_audit + k - audit.start, count, characters) for k in audit),
                len(audit),
                progress,
            )
            for loaded in (users_loaded, characters_loaded, chat_loaded, audit_loaded):
                loaded.result()  # raises what the load raised
        return len(new_users), len(new_characters)

    @staticmethod
    def _chat_line(k: int, row_id: int, count: int, character_ids: dict[int, int]) -> str:
        sender, channel, recipient, text = chat_values(k, count)
        sender_id = character_ids.get(sender, NULL)
        return f"{row_id}\t{channel}\t{sender_id}\t{seeded_name(sender)}\t{recipient}\t{text}\t{k}\n"

    @staticmethod
    def _audit_line(k: int, row_id: int, count: int, character_ids: dict[int, int]) -> str:
        actor, action, target = audit_values(k, count)
        return f"{row_id}\t{actor}\t{action}\t{character_ids.get(target, NULL)}\t{seeded_name(target)}\t{k}\n"

    @staticmethod
    def _spread_sql(total: int) -> str:
        """created_at from the row's number @k, as _spread computes it, in the database."""
        now = timezone.now()
        oldest = (now - SEEDED_SPAN).strftime("%Y-%m-%d %H:%M:%S.%f")
        step = SEEDED_SPAN.total_seconds() / (total + 1)
        return f"SET created_at = TIMESTAMPADD(MICROSECOND, ROUND((@k + 1) * {step * 1e6:.0f}), '{oldest}')"

    @staticmethod
    def _load(table: str, columns: str, assignments: str, lines, rows: int, progress, after: Future | None = None):
        """Load `rows` lines into `table`; into a table with rows, only once `after` (the load of the
        table it refers to) is done, as its foreign keys are checked then."""
        if not rows:
            return
        with tempfile.TemporaryDirectory() as folder, _local_infile_connection() as db:
            cursor = db.cursor()
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if not cursor.fetchone()[0]:  # see the module's docstring
                cursor.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
            elif after is not None:
                after.result()
            path = Path(folder) / "rows.tsv"
            while rows:
                chunk = min(CHUNK, rows)
                with path.open("w", encoding="utf-8", newline="") as f:
                    f.writelines(next(lines) for _ in range(chunk))
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {table} CHARACTER SET utf8mb4 "
                    f"FIELDS TERMINATED BY '\\t' {columns} {assignments}"
                )
                progress.update(chunk)
                rows -= chunk
            db.commit()
            # Statistics for the rows just loaded (InnoDB recounts by itself only later): without them the
            # optimiser may read a whole index for a filter's choices instead of skipping along it.
            cursor.execute(f"ANALYZE TABLE {table}")
            cursor.fetchall()


class OrmSeeder:
    """Multi-row INSERTs (SQLite and anything else)."""

    def seed(self, count: int, chat: range, audit: range, progress) -> tuple[int, int]:
        users, characters, owners = _seeded_rows(count)
        password, now = make_password(PASSWORD), timezone.now()
        new_users = [index for index in range(1, count + 1) if index not in users]
        for start in range(0, len(new_users), INSERT_BATCH):
            chunk = new_users[start : start + INSERT_BATCH]
            User.objects.bulk_create([User(username=seeded_name(i), password=password, date_joined=now) for i in chunk])
            progress.update(len(chunk))
        users, _characters, _owners = _seeded_rows(count)
        new_characters = [i for i in range(1, count + 1) if i not in characters and users[i] not in owners]
        for start in range(0, len(new_characters), INSERT_BATCH):
            chunk = new_characters[start : start + INSERT_BATCH]
            Character.objects.bulk_create(
                [Character(user_id=users[i], name=seeded_name(i), created_at=now, **character_row(i)) for i in chunk]
            )
            progress.update(len(chunk))
        progress.update(2 * count - len(new_users) - len(new_characters))
        character_ids = _seeded_rows(count)[1]
        self._chat(chat, count, character_ids, progress)
        self._audit(audit, count, character_ids, progress)
        return len(new_users), len(new_characters)

    @staticmethod
    def _chat(numbers: range, count: int, character_ids: dict[int, int], progress) -> None:
        now = timezone.now()
        for first in range(numbers.start, numbers.stop, INSERT_BATCH):
            messages = []
            for k in range(first, min(first + INSERT_BATCH, numbers.stop)):
                sender, channel, recipient, text = chat_values(k, count)
                messages.append(
                    ChatMessage(
                        channel=channel,
                        sender_id=character_ids.get(sender),
                        sender_name=seeded_name(sender),
                        recipient_name=recipient,
                        text=text,
                        created_at=_spread(k, numbers.stop, now),
                    )
                )
            ChatMessage.objects.bulk_create(messages)
            progress.update(len(messages))

    @staticmethod
    def _audit(numbers: range, count: int, character_ids: dict[int, int], progress) -> None:
        now = timezone.now()
        for first in range(numbers.start, numbers.stop, INSERT_BATCH):
            entries = []
            for k in range(first, min(first + INSERT_BATCH, numbers.stop)):
                actor, action, target = audit_values(k, count)
                entries.append(
                    AuditEntry(
                        actor_name=actor,
                        action=action,
                        target_id=character_ids.get(target),
                        target_name=seeded_name(target),
                        created_at=_spread(k, numbers.stop, now),
                    )
                )
            AuditEntry.objects.bulk_create(entries)
            progress.update(len(entries))


class statistics_held:
    """Keep InnoDB from recounting the statistics of (empty) `tables` while they fill.
    Its background recount starts again whenever another tenth of a table has changed: during a load
    of millions of rows it would spend more CPU than the load itself. Each load ends with ANALYZE
    TABLE, and the tables get their automatic recounts back (both ALTERs change metadata only)."""

    def __init__(self, tables: list[str]):
        self.tables = tables

    def _recount(self, setting: str) -> None:
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"ALTER TABLE {table} STATS_AUTO_RECALC = {setting}, ALGORITHM = INSTANT")

    def __enter__(self):
        self._recount("0")

    def __exit__(self, *exc):
        self._recount("DEFAULT")


class _local_infile_connection:
    """A connection of its own with LOCAL INFILE allowed (never for the application's)."""

    def __enter__(self):
        import MySQLdb

        db = connection.settings_dict
        self.db = MySQLdb.connect(
            host=db["HOST"] or "127.0.0.1",
            port=int(db["PORT"] or 3306),
            user=db["USER"],
            password=db["PASSWORD"],
            database=db["NAME"],
            charset="utf8mb4",
            local_infile=True,
        )
        return self.db

    def __exit__(self, *exc):
        self.db.close()
