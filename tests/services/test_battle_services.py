"""Battles in the real Redis: idempotent cycles and no lost update against village changes."""

import pytest
from asgiref.sync import async_to_sync

from accounts import character_state
from accounts.character_state import character_state_ensure, character_state_mutate_sync, state_key
from accounts.models import Character, User
from battles import engine, services
from battles.catalog import catalog_get
from mudserver.redis_client import get_redis
from tests.client import unique

pytestmark = pytest.mark.usefixtures("live_db")

T0 = 1_700_000_000_000


def _strong_character() -> int:
    name = unique("bs")
    user = User.objects.create(username=name)
    character = Character.objects.create(user=user, name=name, weapon_level=1000, attack=1011)
    async_to_sync(character_state_ensure)(character)
    return character.pk


def _state(character_id: int) -> dict:
    return get_redis().hgetall(state_key(character_id))


def test_a_cycle_delivered_twice_changes_nothing_the_second_time():
    cid = _strong_character()
    assert services.battle_start(cid, dungeon=1, mode="auto", now=T0).ok
    services.battles_cycle([(cid, T0 + 1000)], now=T0 + 5000)
    after_first = (_state(cid), get_redis().hgetall(services.battle_key(cid)))
    assert int(after_first[0]["kills"]) > 0
    services.battles_cycle([(cid, T0 + 1000)], now=T0 + 5000)
    assert (_state(cid), get_redis().hgetall(services.battle_key(cid))) == after_first
    services.battle_stop(cid, now=T0 + 5000)


def test_a_village_change_between_read_and_write_is_kept(monkeypatch):
    cid = _strong_character()
    assert services.battle_start(cid, dungeon=1, mode="auto", now=T0).ok
    real_snapshots = character_state._snapshots
    calls = []

    def read_then_enhance(ids, reads, replies):
        snapshots = real_snapshots(ids, reads, replies)
        if reads:  # the cycle's read (the village change's own read reads nothing beside)
            calls.append(ids)
            if len(calls) == 1:  # another writer slips in between the cycle's read and its write
                character_state_mutate_sync(cid, lambda s: ({"weapon_level": 999, "attack": 1010}, None))
        return snapshots

    monkeypatch.setattr(character_state, "_snapshots", read_then_enhance)
    services.battles_cycle([(cid, T0 + 1000)], now=T0 + 5000)
    state = _state(cid)
    assert len(calls) == 2  # the first write was refused and computed again
    assert state["weapon_level"] == "999" and int(state["kills"]) > 0
    monkeypatch.undo()
    services.battle_stop(cid, now=T0 + 5000)


def test_the_schedule_hands_a_battle_out_once_per_lease():
    cid = _strong_character()
    services.battle_start(cid, dungeon=1, mode="auto", now=T0)
    claimed = services.battles_due_claim(now=T0 + 1000)
    assert (cid, T0 + 1000) in claimed
    assert cid not in [c for c, _due in services.battles_due_claim(now=T0 + 1500)]
    assert cid in [c for c, _due in services.battles_due_claim(now=T0 + 1000 + services.LEASE_MS)]
    services.battle_stop(cid, now=T0 + 2000)
    assert cid not in [c for c, _due in services.battles_due_claim(now=T0 + 10**9)]


def test_starting_twice_is_refused_and_the_dead_cannot_start():
    cid = _strong_character()
    assert services.battle_start(cid, dungeon=1, mode="auto", now=T0).ok
    assert services.battle_start(cid, dungeon=2, mode="manual", now=T0).error is services.Refusal.ALREADY
    services.battle_stop(cid, now=T0)
    get_redis().hset(state_key(cid), "hp", 0)
    assert services.battle_start(cid, dungeon=1, mode="auto", now=T0).error is services.Refusal.DEAD


def test_a_scheduled_battle_whose_character_is_gone_leaves_the_schedule():
    """A battle left behind by a deleted account (its hot state gone) is not claimed every lease."""
    gone, alive = _strong_character(), _strong_character()
    for cid in (gone, alive):
        assert services.battle_start(cid, dungeon=1, mode="auto", now=T0).ok
    get_redis().delete(state_key(gone))
    services.battles_cycle([(gone, T0 + 1000), (alive, T0 + 1000)], now=T0 + 2000)
    assert get_redis().zscore(services.DUE_KEY, gone) is None
    assert get_redis().zscore(services.DUE_KEY, alive) is not None
    services.battle_stop(alive, now=T0 + 2000)
    services.battle_delete(gone)
    assert not get_redis().exists(services.battle_key(gone))


def _loaded(cid: int) -> services.Loaded:
    done, _gone = services._apply([cid], lambda item: services.Change(None, error=services.Refusal.NONE))
    return done[cid][0]


def test_an_absent_players_battle_is_advanced_once_a_minute_to_the_same_result(settings):
    """Invariant 4: the shipped offline cadence (60 s, the first cycle spread over its second half)
    plays the same fight as the engine run over the same seed and elapsed time, and the next cycle
    is due a minute after the last."""
    settings.GAME = {**settings.GAME, "BATTLE_OFFLINE_CYCLE_SECONDS": 60.0}
    cid = _strong_character()
    assert services.battle_start(cid, dungeon=1, mode="auto", now=T0).ok
    services.battle_offline(cid, now=T0)
    due = int(get_redis().zscore(services.DUE_KEY, cid))
    assert T0 + 30_000 < due <= T0 + 60_000

    reference = _loaded(cid).fight()  # the fight as it started, run by the engine alone
    engine.advance(reference, due - T0, catalog_get().content)
    services.battles_cycle([(cid, due)], now=due)
    state = _state(cid)
    assert (int(state["level"]), int(state["exp"]), int(state["kills"])) == (
        reference.level,
        reference.exp,
        reference.kills,
    )
    assert int(state["kills"]) > 0
    assert get_redis().zscore(services.DUE_KEY, cid) == due + 60_000
    services.battle_stop(cid, now=due)


def test_players_who_leave_together_are_not_due_together(settings):
    settings.GAME = {**settings.GAME, "BATTLE_OFFLINE_CYCLE_SECONDS": 60.0}
    ids = [_strong_character() for _ in range(8)]
    for cid in ids:
        assert services.battle_start(cid, dungeon=1, mode="auto", now=T0).ok
        services.battle_offline(cid, now=T0)
    dues = {get_redis().zscore(services.DUE_KEY, cid) for cid in ids}
    assert len(dues) > 1
    for cid in ids:
        services.battle_stop(cid, now=T0 + 1000)
