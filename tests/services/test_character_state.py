"""Hot state in the real Redis, written behind to the real MariaDB."""

import asyncio

import pytest

from accounts.character_state import (
    DIRTY_KEY,
    character_state_ensure,
    character_state_get,
    character_state_mutate,
    character_states_flush,
    state_key,
)
from accounts.models import Character, User
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
    await asyncio.gather(*[character_state_mutate(character.pk, gain) for _ in range(100)],
                         *[character_state_mutate(character.pk, spend) for _ in range(20)])  # fmt: skip
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
