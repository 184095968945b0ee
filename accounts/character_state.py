"""Each character's hot state: owned by a Redis hash, written behind to the database (invariant 3).

Every change goes through `character_state_mutate`, an optimistic WATCH/MULTI transaction, so a
battle worker and a village command touching the same character at once lose neither update.
Changed characters are put in a dirty set that `character_states_flush` writes to the database in
batches (Celery beat, every GAME["FLUSH_INTERVAL"] seconds) and at once on sign-out and shutdown.
"""

from collections.abc import Callable
from typing import TypeVar

import structlog
from channels.db import database_sync_to_async
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Character, SetAsideWrite
from accounts.progression import AUTO_RETREAT_DEFAULT, exp_to_leave
from accounts.status import status_tell
from mudserver.failures import DATABASE_UNAVAILABLE
from mudserver.metrics import CHARACTER_WRITES_SET_ASIDE
from mudserver.protocol import status_frame
from mudserver.redis_client import get_async_redis, get_redis

log = structlog.get_logger(__name__)

T = TypeVar("T")

INT_FIELDS = (
    "level",
    "exp",
    "hp",
    "max_hp",
    "mp",
    "max_mp",
    "attack",
    "defense",
    "weapon_level",
    "skill_1",
    "skill_2",
    "skill_3",
    "kills",
    "deaths",
    "arena_wins",
    "arena_losses",
    "arena_rating",
    "arena_best_rating",
    "auto_retreat",
)
DIRTY_KEY = "mud:ch:dirty"
# Characters whose last write the database refused (accounts.SetAsideWrite): written alone until one succeeds.
SET_ASIDE_KEY = "mud:ch:set_aside"
ROWS_WRITTEN_KEY = "mud:stat:db_rows"  # characters written to the database, for benchmarks
WRITE_BATCH = 400  # rows per UPDATE (SQLite allows 500 SELECTs in one compound statement)

State = dict[str, int]
Mutation = Callable[[State], tuple[State, T]]


def state_key(character_id: int) -> str:
    return f"mud:ch:{character_id}"


def _decode(raw: dict[str, str]) -> State:
    state = {field: int(raw[field]) for field in INT_FIELDS if field in raw}
    if state:
        state.setdefault("auto_retreat", AUTO_RETREAT_DEFAULT)  # a hash loaded before the field existed
    return state


def state_decode(raw: dict[str, str]) -> State:
    """A hash read from Redis, with its version `v` (0 before the first change)."""
    return {**_decode(raw), "v": int(raw.get("v", 0))}


# Load only the fields absent: the hash in Redis may be newer than the database (not flushed yet),
# and a hash written before a field was added gets that field from the database. A player who left
# keeps it a while for a quick return; whether it expires is mudserver.player_keys' to say.
_LOAD = """
for i = 1, #ARGV, 2 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return redis.call('HGETALL', KEYS[1])
"""


async def character_state_ensure(character: Character) -> State:
    """Bring a character's state into Redis (if it is not already there) and return it."""
    args = []
    for field in INT_FIELDS:
        args += [field, getattr(character, field)]
    flat = await get_async_redis().eval(_LOAD, 1, state_key(character.pk), *args)
    return _decode(dict(zip(flat[::2], flat[1::2], strict=True)))


async def character_state_get(character_id: int) -> State | None:
    raw = await get_async_redis().hgetall(state_key(character_id))
    return _decode(raw) if raw else None


# Write a mutation's changes if the character is still at the version it was read at: every
# writer (mutations here, battle cycles) bumps `v`. 1 written, 0 changed meanwhile, -1 gone.
_MUTATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if (redis.call('HGET', KEYS[1], 'v') or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('SADD', KEYS[2], ARGV[2])
return 1
"""


async def character_state_mutate(character_id: int, mutation: Mutation[T]) -> T:
    """Apply `mutation(state) -> (changes, result)` atomically and mark the character dirty: a read
    and a compare-and-set on the version (two round trips; one when nothing changes), retried
    if the character changed in between (`mutation` may then run more than once)."""
    r = get_async_redis()
    key = state_key(character_id)
    while True:
        raw = await r.hgetall(key)
        if not raw:
            raise LookupError(f"character {character_id} has no hot state")
        state = _decode(raw)
        changes, result = mutation(state)
        if not changes:
            return result
        pairs = [item for field_value in changes.items() for item in field_value]
        written = await r.eval(_MUTATE, 2, key, DIRTY_KEY, raw.get("v", "0"), character_id, *pairs)
        if written == 1:
            await status_tell(character_id, state, {**state, **changes})  # the status bar follows the change
            return result
        if written == -1:
            raise LookupError(f"character {character_id} has no hot state")


async def character_state_drop(character_id: int) -> None:
    r = get_async_redis()
    await r.pipeline(transaction=True).delete(state_key(character_id)).srem(DIRTY_KEY, character_id).execute()


def character_status(name: str, state: State) -> dict:
    """The `status` frame's character object (PROTOCOL.md)."""
    return {
        "name": name,
        "level": state["level"],
        "hp": state["hp"],
        "max_hp": state["max_hp"],
        "mp": state["mp"],
        "max_mp": state["max_mp"],
        "exp": state["exp"],
        "exp_next": exp_to_leave(state["level"]),
        "attack": state["attack"],
        "defense": state["defense"],
        "weapon_level": state["weapon_level"],
    }


async def character_status_frame(character_id: int | None, name: str | None) -> dict:
    state = await character_state_get(character_id) if character_id is not None else None
    return status_frame(character_status(name, state) if state else None)


def character_states_flush(character_ids: list[int] | None = None, *, batch: int = 1000) -> int:
    """Write dirty characters (or the given ones) to the database; return how many were written.

    An id is taken off the dirty set before its hash is read, so a change made meanwhile marks it
    dirty again and is written by the next flush. If the database is unavailable, the ids go back.
    A row the database refuses is set aside (`_states_save`) and the others are written.
    """
    r = get_redis()
    written = 0
    while True:
        if character_ids is None:
            ids = [int(i) for i in r.spop(DIRTY_KEY, batch) or []]
        else:
            ids, character_ids = character_ids[:batch], character_ids[batch:]
            if ids:
                r.srem(DIRTY_KEY, *ids)
        if not ids:
            if written:
                r.incrby(ROWS_WRITTEN_KEY, written)
            return written
        pipe = r.pipeline(transaction=False)
        for character_id in ids:
            pipe.hgetall(state_key(character_id))
        pipe.smismember(SET_ASIDE_KEY, ids)
        *raws, set_aside = pipe.execute()
        states = {cid: _decode(raw) for cid, raw in zip(ids, raws, strict=True) if raw}
        alone = {cid for cid, flagged in zip(ids, set_aside, strict=True) if flagged and cid in states}
        try:
            written += _states_save(states, alone)
        except Exception:
            r.sadd(DIRTY_KEY, *ids)
            raise


def _states_save(states: dict[int, State], alone: set[int]) -> int:
    """Write `states` in one batch; if the database refuses the batch, row by row, setting aside each
    row it still refuses. Characters set aside before (`alone`) are written by themselves from the
    start, so a character that keeps failing while the game keeps changing it never costs its batch.
    A refused character is not put back in the dirty set: its next change tries it again."""
    together = {cid: state for cid, state in states.items() if cid not in alone}
    one_by_one = [cid for cid in states if cid in alone]
    if together:
        try:
            _states_write(together)
        except DATABASE_UNAVAILABLE:
            raise
        except DatabaseError:
            one_by_one += together
    written, resolved = len(states) - len(one_by_one), []
    for character_id in one_by_one:
        try:
            _states_write({character_id: states[character_id]})
        except DATABASE_UNAVAILABLE:
            raise
        except DatabaseError as error:
            _state_set_aside(character_id, states[character_id], error)
        else:
            written += 1
            if character_id in alone:
                resolved.append(character_id)
    if resolved:
        unresolved = SetAsideWrite.objects.filter(character_id__in=resolved, resolved_at__isnull=True)
        unresolved.update(resolved_at=timezone.now())
        get_redis().srem(SET_ASIDE_KEY, *resolved)
    return written


def _state_set_aside(character_id: int, state: State, error: DatabaseError) -> None:
    """Keep what the database refused where a game master sees it (the admin's unsaved character
    writes), in the log and in a metric."""
    now = timezone.now()
    log.error("character write set aside", character_id=character_id, values=state, error=str(error))
    CHARACTER_WRITES_SET_ASIDE.inc()
    pending = SetAsideWrite.objects.filter(character_id=character_id, resolved_at__isnull=True)
    if not pending.update(values=state, error=str(error), attempts=F("attempts") + 1, last_failed_at=now):
        name = Character.objects.filter(pk=character_id).values_list("name", flat=True).first() or ""
        SetAsideWrite.objects.create(
            character_id=character_id,
            character_name=name,
            values=state,
            error=str(error),
            first_failed_at=now,
            last_failed_at=now,
        )
    get_redis().sadd(SET_ASIDE_KEY, character_id)


async def character_states_flush_now(character_ids: list[int]) -> None:
    """Write these characters at once (on sign-out, at a match's end). While the database is away
    they stay dirty and the periodic flush writes them once it is back: the player carries on."""
    try:
        await database_sync_to_async(character_states_flush)(character_ids)
    except DATABASE_UNAVAILABLE as error:
        log.warning("characters left to the periodic flush", characters=len(character_ids), error=repr(error))


def _states_write(states: dict[int, State]) -> None:
    """One UPDATE per batch, joined to the new values. Django's bulk_update builds a CASE per field
    and row (~2 ms of CPU a character here); the values are integers decoded by us, so they go in
    as literals, which also spares the driver's escaping of every parameter (most of the rest)."""
    quote = connection.ops.quote_name
    table = quote(Character._meta.db_table)
    columns = [quote(column) for column in ("id", *INT_FIELDS)]
    rows = [(character_id, *(int(state[field]) for field in INT_FIELDS)) for character_id, state in states.items()]
    if connection.vendor == "mysql":
        assignments = ", ".join(f"{table}.{c} = v.{c}" for c in columns[1:])
        template = f"UPDATE {table} JOIN ({{values}}) AS v ON {table}.id = v.id SET {assignments}"
    else:  # SQLite 3.33+ and PostgreSQL
        assignments = ", ".join(f"{c} = v.{c}" for c in columns[1:])
        template = f"UPDATE {table} SET {assignments} FROM ({{values}}) AS v WHERE {table}.id = v.id"
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            first, *others = rows[start : start + WRITE_BATCH]
            selects = [
                "SELECT " + ", ".join(f"{value} AS {column}" for value, column in zip(first, columns, strict=True))
            ]
            selects += ["SELECT " + ", ".join(map(str, row)) for row in others]
            cursor.execute(template.format(values=" UNION ALL ".join(selects)))
