"""Each character's hot state: the one owner of its Redis layout (DESIGN.md invariant 3), written
behind to the database.

Layout: `mud:ch:<id>` is a hash of INT_FIELDS and its version `v`, which every write bumps;
`mud:ch:dirty` the characters changed since the last flush; `mud:ch:set_aside` those whose last
write the database refused. Nothing outside this module names these keys or writes these hashes.

Every change is an optimistic, versioned compare-and-set: the hash is read (with whatever the
caller reads beside it, `Read`), the change is computed in Python, and one Lua script (`_WRITE`)
writes it only if the version is still the one read, marking the character dirty; otherwise the
change is computed again from fresh state. A battle worker and a village command touching the same
character at once therefore lose neither update. `characters_mutate` does it for many characters
in two round trips a round (the battle workers' cycles); a caller's writes that must be atomic with
the character's (its own versioned hash, a schedule, a scene field) ride in the same script as
`Write.beside`, `Write.fields` and `Write.scores`. `character_state_mutate` is the one-character
form. Both have a blocking and an async face, driven from the same steps (`_mutate_steps`).

`character_states_flush` writes dirty characters to the database in batches (Celery beat, every
GAME["FLUSH_INTERVAL"] seconds) and at once on sign-out and shutdown.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Generic, TypeVar

import structlog
from channels.db import database_sync_to_async
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.boards import BOARDS_LUA, RANKED_FIELDS, board_entries, board_load_keys, week_of
from accounts.models import Character, SetAsideWrite
from accounts.progression import AUTO_RETREAT_DEFAULT, exp_to_leave
from accounts.status import status_tell
from mudserver.clock import now_ms
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
    "week",
    "week_exp",
)
DIRTY_KEY = "mud:ch:dirty"
# Characters whose last write the database refused (accounts.SetAsideWrite): written alone until one succeeds.
SET_ASIDE_KEY = "mud:ch:set_aside"
ROWS_WRITTEN_KEY = "mud:stat:db_rows"  # characters written to the database, for benchmarks
WRITE_BATCH = 400  # rows per UPDATE (SQLite allows 500 SELECTs in one compound statement)
RETRIES = 8  # rounds of a many-character mutate; a character still changing after them is CONTENDED
# Characters per script call. Redis runs one script at a time and every other client waits for it: a
# battle batch's 200 characters in one script held Redis 10-30 ms, behind which every player's
# command waited. 25 hold it about a millisecond and cost a worker a few round trips more.
SCRIPT_CHARACTERS = 25

State = dict[str, int]
Mutation = Callable[[State], tuple[State, T]]


STATE_PREFIX = "mud:ch:"  # for a script that reads many characters' hashes (accounts.selectors.online_ranked_page)


def state_key(character_id: int) -> str:
    return f"{STATE_PREFIX}{character_id}"


def _decode(raw: dict[str, str]) -> State:
    state = {name: int(raw[name]) for name in INT_FIELDS if name in raw}
    if state:
        state.setdefault("auto_retreat", AUTO_RETREAT_DEFAULT)  # a hash loaded before the field existed
        state.setdefault("week", 0)
        state.setdefault("week_exp", 0)
    return state


def _pairs(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


# --- the compare-and-set


class Outcome(enum.Enum):
    """What became of one character's change."""

    WRITTEN = "written"  # at the version it was computed from, with the caller's writes beside it
    UNCHANGED = "unchanged"  # the step asked for no write
    GONE = "gone"  # the character has no hot state (never loaded, or deleted)
    CONTENDED = "contended"  # changed by others in every one of RETRIES rounds: not written


@dataclass(frozen=True)
class Read:
    """A hash read beside each character, by the key `key(character_id)`: all of it, or `fields`."""

    key: Callable[[int], str]
    fields: tuple[str, ...] = ()


@dataclass(slots=True)
class Snapshot:
    """A character's state as read, with its version `v`, and the hashes read beside it (one per
    `Read`: a dict of the whole hash, or the values of the fields asked for, None when absent)."""

    character_id: int
    state: State
    beside: list[Any]

    @property
    def version(self) -> int:
        return self.state["v"]


@dataclass(slots=True)
class Versioned:
    """A caller's own hash with a `v` of its own, checked and bumped with the character's: written
    (`fields`, which may be empty) or deleted."""

    key: str
    version: str  # as read ("0" when the hash was absent)
    fields: dict[str, int | str] = field(default_factory=dict)
    delete: bool = False


@dataclass(slots=True)
class Write:
    """What one character's step writes, atomically: its changed fields and the caller's writes
    beside them. `renew` (seconds) renews the expiry of the character, of these keys and of `touch`
    when the character's hash has one (a signed-out player's keys expire: mudserver.player_keys)."""

    changes: dict[str, int] = field(default_factory=dict)
    beside: list[Versioned] = field(default_factory=list)
    fields: list[tuple[str, dict[str, int | str]]] = field(default_factory=list)  # plain hash fields
    scores: list[tuple[str, int, int | None]] = field(default_factory=list)  # (sorted set, member, score or None)
    renew: int = 0
    touch: list[str] = field(default_factory=list)  # other keys renewed with them

    def __bool__(self) -> bool:
        return bool(self.changes or self.beside or self.fields or self.scores)


@dataclass(slots=True)
class Mutated(Generic[T]):
    """One character's mutate: its outcome, the state it was computed from, the changes written
    and the step's result. The one place a change to a character is reported: `changes` against
    `before` is what changed."""

    outcome: Outcome
    before: Snapshot | None = None
    changes: dict[str, int] = field(default_factory=dict)
    result: T | None = None


Step = Callable[[Snapshot], "tuple[Write | None, T] | None"]

# KEYS: per character, its hash and then one key per Read. ARGV[1]: the number of reads; per read,
# its field count and fields (0: the whole hash).
_READ = """
local reads, specs, a = tonumber(ARGV[1]), {}, 2
for i = 1, reads do
  specs[i] = {a + 1, tonumber(ARGV[a])}
  a = a + 1 + specs[i][2]
end
local out = {}
for k = 1, #KEYS, reads + 1 do
  out[#out + 1] = redis.call('HGETALL', KEYS[k])
  for i = 1, reads do
    local first, n = specs[i][1], specs[i][2]
    if n == 0 then
      out[#out + 1] = redis.call('HGETALL', KEYS[k + i])
    else
      out[#out + 1] = redis.call('HMGET', KEYS[k + i], unpack(ARGV, first, first + n - 1))
    end
  end
end
return out
"""

# Write each character's change if neither it nor its Versioned hashes changed since they were read;
# 1 written, 0 changed meanwhile, -1 no hot state. KEYS[1] is the dirty set; other keys are named by
# their index in KEYS. ARGV, per character: id, its key's index, version, n, n field/value pairs;
# then nv Versioned: key index, version, 'w' or 'd', n, n pairs; nh plain hashes: key index, n, n
# pairs; nz sorted-set entries: key index, member, score ('' removes); the renewal in seconds, nt
# and the indexes of the keys touched.
_WRITE = """
local results, a = {}, 1
while a <= #ARGV do
  local id, char, version, nc = ARGV[a], KEYS[tonumber(ARGV[a + 1])], ARGV[a + 2], tonumber(ARGV[a + 3])
  local first_change = a + 4
  a = first_change + 2 * nc
  local result, seen = 1, redis.call('HGET', char, 'v')
  if not seen and redis.call('EXISTS', char) == 0 then
    result = -1
  elseif (seen or '0') ~= version then
    result = 0
  end
  local nv = tonumber(ARGV[a])
  a = a + 1
  local first_versioned = a
  for _ = 1, nv do
    if result == 1 and (redis.call('HGET', KEYS[tonumber(ARGV[a])], 'v') or '0') ~= ARGV[a + 1] then result = 0 end
    a = a + 4 + 2 * tonumber(ARGV[a + 3])
  end
  local nh = tonumber(ARGV[a])
  a = a + 1
  local first_hash = a
  for _ = 1, nh do a = a + 2 + 2 * tonumber(ARGV[a + 1]) end
  local nz = tonumber(ARGV[a])
  local first_score = a + 1
  a = first_score + 3 * nz
  local renew, nt = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local first_touch = a + 2
  a = first_touch + nt
  if result == 1 then
    local renewed = {char}
    if nc > 0 then
      redis.call('HSET', char, unpack(ARGV, first_change, first_change + 2 * nc - 1))
      redis.call('HINCRBY', char, 'v', 1)
      redis.call('SADD', KEYS[1], id)
    end
    local b = first_versioned
    for _ = 1, nv do
      local key, n = KEYS[tonumber(ARGV[b])], tonumber(ARGV[b + 3])
      if ARGV[b + 2] == 'd' then
        redis.call('DEL', key)
      else
        if n > 0 then redis.call('HSET', key, unpack(ARGV, b + 4, b + 3 + 2 * n)) end
        redis.call('HINCRBY', key, 'v', 1)
        renewed[#renewed + 1] = key
      end
      b = b + 4 + 2 * n
    end
    b = first_hash
    for _ = 1, nh do
      local key, n = KEYS[tonumber(ARGV[b])], tonumber(ARGV[b + 1])
      redis.call('HSET', key, unpack(ARGV, b + 2, b + 1 + 2 * n))
      renewed[#renewed + 1] = key
      b = b + 2 + 2 * n
    end
    for i = first_score, first_score + 3 * (nz - 1), 3 do
      local key = KEYS[tonumber(ARGV[i])]
      if ARGV[i + 2] == '' then
        redis.call('ZREM', key, ARGV[i + 1])
      else
        redis.call('ZADD', key, ARGV[i + 2], ARGV[i + 1])
      end
    end
    if renew > 0 and redis.call('PTTL', char) > 0 then
      for _, key in ipairs(renewed) do redis.call('EXPIRE', key, renew) end
      for i = first_touch, first_touch + nt - 1 do redis.call('EXPIRE', KEYS[tonumber(ARGV[i])], renew) end
    end
  end
  results[#results + 1] = result
end
return results
"""


@dataclass(frozen=True)
class _Call:
    script: str
    keys: list[str]
    args: list


def _read_call(character_ids: list[int], reads: tuple[Read, ...]) -> _Call:
    keys = []
    for character_id in character_ids:
        keys.append(state_key(character_id))
        keys += [read.key(character_id) for read in reads]
    args: list = [len(reads)]
    for read in reads:
        args += [len(read.fields), *read.fields]
    return _Call(_READ, keys, args)


def _snapshots(character_ids: list[int], reads: tuple[Read, ...], replies: list) -> list[Snapshot]:
    """The characters that have a hot state, as read."""
    width = 1 + len(reads)
    snapshots = []
    for i, character_id in enumerate(character_ids):
        raw, *beside = replies[width * i : width * (i + 1)]
        if raw:
            raw = _pairs(raw)
            state = _decode(raw)
            state["v"] = int(raw.get("v", 0))
            beside = [reply if read.fields else _pairs(reply) for read, reply in zip(reads, beside, strict=True)]
            snapshots.append(Snapshot(character_id, state, beside))
    return snapshots


def _write_call(writes: list[tuple[Snapshot, Write]]) -> _Call:
    keys: list[str] = [DIRTY_KEY]
    index: dict[str, int] = {DIRTY_KEY: 1}

    def at(key: str) -> int:
        i = index.get(key)
        if i is None:
            keys.append(key)
            i = index[key] = len(keys)
        return i

    args: list = []
    extend = args.extend  # a cycle's batch is thousands of arguments: this is on the workers' hot path
    week = None
    for snapshot, write in writes:
        cid = snapshot.character_id
        changes, scores = write.changes, write.scores
        if not RANKED_FIELDS.isdisjoint(changes):  # the rankings' boards ride in the same script
            if week is None:
                week = week_of(now_ms())
            changes, ranked = board_entries(cid, snapshot.state, changes, week)
            scores = [*scores, *ranked]
        extend((cid, at(state_key(cid)), snapshot.state["v"], len(changes)))
        extend(chain.from_iterable(changes.items()))
        args.append(len(write.beside))
        for versioned in write.beside:
            if versioned.delete:
                extend((at(versioned.key), versioned.version, "d", 0))
            else:
                extend((at(versioned.key), versioned.version, "w", len(versioned.fields)))
                extend(chain.from_iterable(versioned.fields.items()))
        args.append(len(write.fields))
        for key, values in write.fields:
            extend((at(key), len(values)))
            extend(chain.from_iterable(values.items()))
        args.append(len(scores))
        for key, member, score in scores:
            extend((at(key), member, "" if score is None else score))
        extend((write.renew, len(write.touch)))
        extend(map(at, write.touch))
    return _Call(_WRITE, keys, args)


_RESULTS = {1: Outcome.WRITTEN, -1: Outcome.GONE}


def _chunked(items: list, call: Callable[[list], _Call]) -> Generator[_Call, list, list]:
    """`call` for SCRIPT_CHARACTERS of `items` at a time, the replies joined in their order (each
    character's compare-and-set is its own: splitting changes nothing but how long Redis is held)."""
    replies: list = []
    for start in range(0, len(items), SCRIPT_CHARACTERS):
        replies += yield call(items[start : start + SCRIPT_CHARACTERS])
    return replies


def _mutate_steps(
    character_ids: Iterable[int], step: Step, reads: tuple[Read, ...], *, rounds: int | None = RETRIES
) -> Generator[_Call, list, dict[int, Mutated]]:
    """The mutate itself, as the calls to make: each `yield` is a script for the driver to run
    (`_run` blocking, `_arun` async), which sends back its reply. `rounds` None: until written."""
    done: dict[int, Mutated] = {}
    pending = list(character_ids)
    played = 0
    while pending and (rounds is None or played < rounds):
        played += 1
        snapshots = _snapshots(pending, reads, (yield from _chunked(pending, lambda ids: _read_call(ids, reads))))
        done.update((cid, Mutated(Outcome.GONE)) for cid in set(pending) - {s.character_id for s in snapshots})
        planned = [(snapshot, plan) for snapshot in snapshots if (plan := step(snapshot)) is not None]
        writes = [(snapshot, write) for snapshot, (write, _result) in planned if write]
        replies = iter((yield from _chunked(writes, _write_call)))
        pending = []
        for snapshot, (write, result) in planned:
            outcome = _RESULTS.get(next(replies)) if write else Outcome.UNCHANGED
            if outcome is None:
                pending.append(snapshot.character_id)
            else:
                changes = write.changes if outcome is Outcome.WRITTEN else {}
                done[snapshot.character_id] = Mutated(outcome, snapshot, changes, result)
    done.update((cid, Mutated(Outcome.CONTENDED)) for cid in pending)
    return done


def _run(steps: Generator[_Call, list, T]) -> T:
    client, reply = get_redis(), None
    try:
        while True:
            call = steps.send(reply)
            reply = client.register_script(call.script)(keys=call.keys, args=call.args)
    except StopIteration as stop:
        return stop.value


async def _arun(steps: Generator[_Call, list, T]) -> T:
    client, reply = get_async_redis(), None
    try:
        while True:
            call = steps.send(reply)
            reply = await client.register_script(call.script)(keys=call.keys, args=call.args)
    except StopIteration as stop:
        return stop.value


def characters_mutate_sync(
    character_ids: Iterable[int], step: Step[T], *, reads: tuple[Read, ...] = ()
) -> dict[int, Mutated[T]]:
    """Apply `step(snapshot) -> (write, result)` (or None: nothing to do, left out of the answer) to
    each character, atomically, computing again whatever changed meanwhile (`step` may run more than
    once for a character). Blocking: the battle workers' cycles."""
    return _run(_mutate_steps(character_ids, step, reads))


async def characters_mutate(
    character_ids: Iterable[int], step: Step[T], *, reads: tuple[Read, ...] = ()
) -> dict[int, Mutated[T]]:
    """`characters_mutate_sync`, from an event loop."""
    return await _arun(_mutate_steps(character_ids, step, reads))


def _read_steps(character_ids: list[int], reads: tuple[Read, ...]) -> Generator[_Call, list, dict[int, Snapshot]]:
    replies = yield from _chunked(character_ids, lambda ids: _read_call(ids, reads))
    return {s.character_id: s for s in _snapshots(character_ids, reads, replies)}


async def characters_read(character_ids: Iterable[int], *, reads: tuple[Read, ...] = ()) -> dict[int, Snapshot]:
    """The characters that have a hot state, as they are now, with the hashes read beside them: one
    round trip, nothing written (a mutate's read without its write)."""
    return await _arun(_read_steps(list(character_ids), reads))


def characters_read_sync(character_ids: Iterable[int], *, reads: tuple[Read, ...] = ()) -> dict[int, Snapshot]:
    """`characters_read`, blocking."""
    return _run(_read_steps(list(character_ids), reads))


def _one(character_id: int, mutation: Mutation[T]) -> Generator[_Call, list, Mutated[T]]:
    def step(snapshot: Snapshot):
        changes, result = mutation({k: v for k, v in snapshot.state.items() if k != "v"})
        return Write(changes), result

    # One character's change is retried until it lands, as the command that asked for it waits.
    mutated = (yield from _mutate_steps([character_id], step, (), rounds=None))[character_id]
    if mutated.outcome is Outcome.GONE:
        raise LookupError(f"character {character_id} has no hot state")
    return mutated


async def character_state_mutate(character_id: int, mutation: Mutation[T]) -> T:
    """Apply `mutation(state) -> (changes, result)` atomically and mark the character dirty (two
    round trips; one when nothing changes), again if the character changed in between (`mutation`
    may then run more than once). LookupError when the character has no hot state."""
    mutated = await _arun(_one(character_id, mutation))
    if mutated.outcome is Outcome.WRITTEN:  # the status bar follows the change
        before = mutated.before.state
        await status_tell(character_id, before, {**before, **mutated.changes})
    return mutated.result


def character_state_mutate_sync(character_id: int, mutation: Mutation[T]) -> T:
    """`character_state_mutate`, blocking (the admin's game-master actions)."""
    return _run(_one(character_id, mutation)).result


# --- loading, reading, dropping

# Load only the fields absent: the hash in Redis may be newer than the database (not flushed yet),
# and a hash written before a field was added gets that field from the database. A player who left
# keeps it a while for a quick return; whether it expires is mudserver.player_keys' to say. The
# character takes its place on the boards (KEYS[2..]: accounts.boards), from the hash as it now is,
# so a player is ranked from their first sign-in and again after Redis lost the boards.
# KEYS[5] is the hash; ARGV: field/value pairs, then the id and the current week.
_LOAD = (
    BOARDS_LUA
    + """
local id, week = ARGV[#ARGV - 1], ARGV[#ARGV]
for i = 1, #ARGV - 2, 2 do
  redis.call('HSETNX', KEYS[5], ARGV[i], ARGV[i + 1])
end
local boards = {{}, {}, {}, {}}
place(boards, id, hot(KEYS[5]), week)
boards_write(boards)
return redis.call('HGETALL', KEYS[5])
"""
)


async def character_state_ensure(character: Character) -> State:
    """Bring a character's state into Redis (if it is not already there) and return it."""
    args = []
    for name in INT_FIELDS:
        args += [name, getattr(character, name)]
    week = week_of(now_ms())
    keys = [*board_load_keys(week), state_key(character.pk)]
    flat = await get_async_redis().eval(_LOAD, len(keys), *keys, *args, character.pk, week)
    return _decode(dict(zip(flat[::2], flat[1::2], strict=True)))


async def character_state_get(character_id: int) -> State | None:
    raw = await get_async_redis().hgetall(state_key(character_id))
    return _decode(raw) if raw else None


def character_state_get_sync(character_id: int) -> State | None:
    raw = get_redis().hgetall(state_key(character_id))
    return _decode(raw) if raw else None


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
