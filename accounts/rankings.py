"""The rankings (issue 17): a board's page with the player's own place, read from the boards that
the hot-state store keeps (accounts.boards), and their rebuild from the database.

A page costs one Redis round trip (ZREVRANGE, ZCARD, ZREVRANK and ZSCORE, each O(log N)) and one
query of ten rows by primary key for the names; nothing scans the characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db.models.signals import post_delete

from accounts.boards import (
    BOARD_KEYS,
    BOARDS_LUA,
    BUILT_KEY,
    board_key,
    board_load_keys,
    week_key,
    week_of,
    week_start_ms,
)
from accounts.character_state import state_key
from accounts.models import Character
from mudserver.clock import now_ms
from mudserver.redis_client import get_async_redis, get_redis

PAGE_SIZE = 10
REBUILD_BATCH = 1_000  # rows a script: Redis is busy with one for a few ms
REBUILD_LOCK_KEY = "mud:top:rebuilding"
REBUILD_LOCK_SECONDS = 15 * 60
WEEKS_KEPT = 2  # a week's board expires two weeks after it ends


@dataclass(frozen=True)
class Entry:
    rank: int
    character_id: int
    score: int
    row: tuple  # the character's `fields`, as asked


@dataclass(frozen=True)
class Page:
    board: str
    page: int
    pages: int
    total: int
    week: int
    entries: list[Entry]
    own: Entry | None  # the player's own place, None when not on the board


async def board_page(board: str, page: int, character_id: int | None, fields: tuple[str, ...] = ("name",)) -> Page:
    """`page` (from 1, brought within the board) of `board`, with the player's own place."""
    week = week_of(now_ms())
    key = board_key(board, week)
    redis = get_async_redis()
    while True:
        start = (page - 1) * PAGE_SIZE
        pipe = redis.pipeline(transaction=False)
        pipe.zcard(key).zrevrange(key, start, start + PAGE_SIZE - 1, withscores=True)
        if character_id is not None:
            pipe.zrevrank(key, character_id).zscore(key, character_id)
        total, listed, *own = await pipe.execute()
        pages = max(1, -(-total // PAGE_SIZE))
        if listed or page <= pages:
            break
        page = pages  # past the end: the last page
    ids = [int(member) for member, _score in listed]
    own_id = character_id if own and own[0] is not None else None
    rows = await _rows([*ids, *([own_id] if own_id is not None else [])], fields)
    entries = [
        Entry(start + i + 1, cid, int(score), rows[cid])
        for i, (cid, (_member, score)) in enumerate(zip(ids, listed, strict=True))
        if cid in rows  # deleted in between
    ]
    own_entry = Entry(own[0] + 1, own_id, int(own[1]), rows.get(own_id, ())) if own_id is not None else None
    return Page(board, page, pages, total, week, entries, own_entry)


@database_sync_to_async
def _rows(ids: list[int], fields: tuple[str, ...]) -> dict[int, tuple]:
    found = Character.objects.filter(pk__in=ids).values_list("pk", *fields)
    return {pk: tuple(rest) for pk, *rest in found}


# --- the rebuild

# Per row (ARGV, after the current week): id, level, exp, kills, arena rating, week, week's exp, as the
# database has them; a character with a hot state (KEYS[4 + i]) is ranked from it, which is newer.
_REBUILD = (
    BOARDS_LUA
    + """
local current_week, a, boards = ARGV[1], 2, {{}, {}, {}, {}}
for i = 5, #KEYS do
  place(boards, ARGV[a], hot(KEYS[i]) or {unpack(ARGV, a + 1, a + 6)}, current_week)
  a = a + 7
end
boards_write(boards)
return #KEYS - 4
"""
)
_REBUILD_FIELDS = ("pk", "level", "exp", "kills", "arena_rating", "week", "week_exp")


def rankings_rebuild(progress: Callable[[int], None] | None = None, *, batch: int = 20_000) -> int:
    """Place every character on every board from the database (or from its hot state, when it has
    one), streaming the rows in primary-key order; return how many. The boards stay readable
    meanwhile. A character deleted since the boards were built is taken off (`_character_deleted`)."""
    r = get_redis()
    week = week_of(now_ms())
    keys = board_load_keys(week)
    script = r.register_script(_REBUILD)
    done, last = 0, 0
    while True:
        rows = list(Character.objects.filter(pk__gt=last).order_by("pk").values_list(*_REBUILD_FIELDS)[:batch])
        if not rows:
            break
        pipe = r.pipeline(transaction=False)
        for start in range(0, len(rows), REBUILD_BATCH):
            chunk = rows[start : start + REBUILD_BATCH]
            args = [week]
            for row in chunk:
                args += row
            script(keys=[*keys, *(state_key(row[0]) for row in chunk)], args=args, client=pipe)
        pipe.execute()
        last = rows[-1][0]
        done += len(rows)
        if progress:
            progress(len(rows))
    r.pexpireat(keys[3], week_start_ms(week + 1 + WEEKS_KEPT))
    r.set(BUILT_KEY, done)
    return done


def rankings_ensure() -> int | None:
    """Rebuild the boards if Redis lost them (no BUILT_KEY), once at a time; keep the week's board
    expiring after its time. Celery beat, every minute. Returns how many characters were placed."""
    r = get_redis()
    week = week_of(now_ms())
    r.pexpireat(week_key(week), week_start_ms(week + 1 + WEEKS_KEPT))
    if r.exists(BUILT_KEY) or not r.set(REBUILD_LOCK_KEY, 1, nx=True, ex=REBUILD_LOCK_SECONDS):
        return None
    try:
        return rankings_rebuild()
    finally:
        r.delete(REBUILD_LOCK_KEY)


def _character_deleted(instance: Character, **kwargs) -> None:
    week = week_of(now_ms())
    pipe = get_redis().pipeline(transaction=False)
    for key in (*BOARD_KEYS.values(), week_key(week)):
        pipe.zrem(key, instance.pk)
    pipe.execute()


def rankings_deleted_connect() -> None:
    """A deleted character (its account deleted, by its player or in the admin) leaves the boards."""
    post_delete.connect(_character_deleted, sender=Character, weak=False, dispatch_uid="rankings-delete")
