"""Hot state in the real Redis, written behind to the real MariaDB."""

import asyncio

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.character_state import (
    DIRTY_KEY,
    SET_ASIDE_KEY,
    character_state_ensure,
    character_state_get,
    character_state_mutate,
    character_states_flush,
    state_key,
)
from accounts.models import Character, SetAsideWrite, User
from mudserver.redis_client import get_redis
from tests.client import unique

pytestmark = pytest.mark.usefixtures("live_db")


async def _character() -> Character:
    name = unique("cs")
    user = await User.objects.acreate(username=name)
    return await Character.objects.acreate(user=user, name=name)


async def test_ensure_loads_once_and_keeps_newer_state():
    character = await _character()
    assert (await character_state_ensure(character))["hp"] == 100
    await character_state_mutate(character.pk, lambda s: ({"hp": 7}, None))
    assert (await character_state_ensure(character))["hp"] == 7  # the stale row does not win


async def test_ensure_fills_a_field_added_since_the_hash_was_written():
    """A hash from before a new column (arena_best_rating) gets it from the row; newer fields stay."""
    character = await _character()
    await Character.objects.filter(pk=character.pk).aupdate(arena_best_rating=1234)
    character = await Character.objects.aget(pk=character.pk)
    await character_state_ensure(character)
    await character_state_mutate(character.pk, lambda s: ({"hp": 7}, None))
    get_redis().hdel(state_key(character.pk), "arena_best_rating")
    state = await character_state_ensure(character)
    assert (state["arena_best_rating"], state["hp"]) == (1234, 7)


async def test_concurrent_mutations_lose_no_update():
    """A battle worker and village commands on one character at once: every change lands."""
    character = await _character()
    await character_state_ensure(character)

    def gain(s):
        return {"exp": s["exp"] + 3, "kills": s["kills"] + 1}, None

    def spend(s):
        return ({"exp": s["exp"] - 10, "weapon_level": s["weapon_level"] + 1}, None) if s["exp"] >= 10 else ({}, None)

    await character_state_mutate(character.pk, lambda s: ({"exp": 1000}, None))
    await asyncio.gather(
        *[character_state_mutate(character.pk, gain) for _ in range(100)],
        *[character_state_mutate(character.pk, spend) for _ in range(20)],
    )
    state = await character_state_get(character.pk)
    assert state["kills"] == 100 and state["weapon_level"] == 21 and state["exp"] == 1000 + 300 - 200


async def test_flush_writes_dirty_characters_and_clears_them():
    character = await _character()
    await character_state_ensure(character)
    await character_state_mutate(character.pk, lambda s: ({"exp": 42, "deaths": 2}, None))
    assert get_redis().sismember(DIRTY_KEY, character.pk)
    await asyncio.to_thread(character_states_flush)
    await character.arefresh_from_db()
    assert (character.exp, character.deaths) == (42, 2)
    assert not get_redis().sismember(DIRTY_KEY, character.pk)


async def test_a_failed_write_puts_the_ids_back(monkeypatch):
    character = await _character()
    await character_state_ensure(character)
    await character_state_mutate(character.pk, lambda s: ({"exp": 5}, None))

    def broken(states):
        raise RuntimeError("database away")

    monkeypatch.setattr("accounts.character_state._states_write", broken)
    with pytest.raises(RuntimeError):
        await asyncio.to_thread(character_states_flush, [character.pk])
    assert get_redis().sismember(DIRTY_KEY, character.pk)


async def test_mutating_an_unknown_character_fails_loudly():
    with pytest.raises(LookupError):
        await character_state_mutate(10**12, lambda s: ({}, None))


TOO_BIG = 5_000_000_000  # over an unsigned INT column's 4,294,967,295: MariaDB's strict mode refuses it


def _flush_counting_writes(ids: list[int]) -> tuple[int, int]:
    """Flush these characters; return (characters written, write transactions tried: one per
    batch or row; the set-aside record is written outside them)."""
    with CaptureQueriesContext(connection) as captured:
        written = character_states_flush(ids)
    return written, sum(query["sql"] == "BEGIN" for query in captured)


async def test_a_refused_row_is_set_aside_and_every_other_row_written():
    good, bad, other = [await _character() for _ in range(3)]
    for character in (good, bad, other):
        await character_state_ensure(character)
    await character_state_mutate(good.pk, lambda s: ({"exp": 11, "kills": 1}, None))
    await character_state_mutate(other.pk, lambda s: ({"exp": 33, "deaths": 3}, None))
    await character_state_mutate(bad.pk, lambda s: ({"exp": TOO_BIG, "kills": 2}, None))

    written, tries = await asyncio.to_thread(_flush_counting_writes, [good.pk, bad.pk, other.pk])

    assert written == 2
    assert tries == 1 + 3  # the batch, refused, then each row by itself
    rows = {c.pk: c async for c in Character.objects.filter(pk__in=[good.pk, bad.pk, other.pk])}
    assert (rows[good.pk].exp, rows[good.pk].kills) == (11, 1)
    assert (rows[other.pk].exp, rows[other.pk].deaths) == (33, 3)
    assert (rows[bad.pk].exp, rows[bad.pk].kills) == (0, 0)  # as it was
    entry = await SetAsideWrite.objects.aget(character_id=bad.pk)
    assert (entry.character_name, entry.values["exp"], entry.values["kills"]) == (bad.name, TOO_BIG, 2)
    assert "exp" in entry.error and entry.attempts == 1 and entry.resolved_at is None
    r = get_redis()
    assert not r.sismember(DIRTY_KEY, bad.pk) and r.sismember(SET_ASIDE_KEY, bad.pk)


async def test_a_set_aside_character_is_tried_alone_on_its_next_change_until_a_write_succeeds():
    good, bad = await _character(), await _character()
    for character in (good, bad):
        await character_state_ensure(character)
    await character_state_mutate(bad.pk, lambda s: ({"exp": TOO_BIG}, None))
    await asyncio.to_thread(character_states_flush, [bad.pk])

    # Changed again, still out of range: its batch is not refused for it (one write for the rest, one for it).
    await character_state_mutate(good.pk, lambda s: ({"exp": 5}, None))
    await character_state_mutate(bad.pk, lambda s: ({"hp": 1}, None))
    written, tries = await asyncio.to_thread(_flush_counting_writes, [good.pk, bad.pk])
    assert (written, tries) == (1, 2)
    assert (await Character.objects.aget(pk=good.pk)).exp == 5
    entry = await SetAsideWrite.objects.aget(character_id=bad.pk)
    assert (entry.attempts, entry.values["hp"], entry.resolved_at) == (2, 1, None)
    assert entry.last_failed_at > entry.first_failed_at

    # A game master puts a value the database holds (the admin's change form does this): written, resolved.
    await character_state_mutate(bad.pk, lambda s: ({"exp": 4321}, None))
    assert get_redis().sismember(DIRTY_KEY, bad.pk)
    assert await asyncio.to_thread(character_states_flush, [bad.pk]) == 1
    row = await Character.objects.aget(pk=bad.pk)
    assert (row.exp, row.hp) == (4321, 1)
    entry = await SetAsideWrite.objects.aget(character_id=bad.pk)
    assert entry.resolved_at is not None
    assert not get_redis().sismember(SET_ASIDE_KEY, bad.pk)
