"""Waits and the battles' clock, shared by the flow tests."""

import asyncio
import time
from collections.abc import Callable

from django.conf import settings

from accounts.character_state import INT_FIELDS, character_state_get, character_state_mutate
from accounts.models import Character
from mudserver.redis_client import get_redis

# The status bar's fields in the hot state (PROTOCOL.md).
BAR_FIELDS = ("level", "hp", "max_hp", "mp", "max_mp", "exp", "attack", "defense", "weapon_level")


async def state_set(client, character_id: int, **changes) -> None:
    """Change a connected player's hot state as another writer would (a game master, the arena) and
    read the status frame the change sends when it changes the bar, so that the next one read is
    the next change's."""
    before = await character_state_get(character_id)
    await character_state_mutate(character_id, lambda state: (changes, None))
    shown = {field: value for field, value in changes.items() if field in BAR_FIELDS}
    if any(before[field] != value for field, value in shown.items()):
        await client.until(lambda frame: shown.items() <= frame["character"].items(), kind="status")


async def battle_clock_forward(ms: int) -> None:
    """Move the battles' clock forward by `ms` in every process (the test settings' clock; it never
    goes back, so later tests simply run later)."""
    await asyncio.to_thread(get_redis().incrby, settings.GAME["BATTLE_CLOCK_KEY"], ms)


async def battle_offline_wait(character_id: int, timeout: float = 15):
    """Until the battle knows its player has gone (the web process records it on departure)."""
    from battles.services import battle_get

    deadline = time.monotonic() + timeout
    while True:
        loaded = await asyncio.to_thread(battle_get, character_id)
        if loaded and not loaded.online:
            return loaded
        assert time.monotonic() < deadline, "the battle did not go offline"
        await asyncio.sleep(0.1)


async def battle_past_cap(character_id: int) -> None:
    """Move the clock just past the offline battle's 8-hour cap (if it is not there yet)."""
    from battles.services import now_ms, offline_cap_ms

    loaded = await battle_offline_wait(character_id)
    cap_at = loaded.num("origin") + loaded.num("offline_at") + offline_cap_ms()
    ahead = cap_at - await asyncio.to_thread(now_ms)
    if ahead >= 0:
        await battle_clock_forward(ahead + 1000)


async def battle_frozen_wait(character_id: int, timeout: float = 40) -> None:
    """Move the clock past the offline battle's cap, then wait until the chain has paused there and
    the database holds the character's last state. The worker catches up 8 hours of battle time on
    the way: seconds of CPU, more on a busy machine."""
    from battles.services import battle_get, offline_cap_ms

    await battle_past_cap(character_id)
    deadline = time.monotonic() + timeout
    while True:
        loaded = await asyncio.to_thread(battle_get, character_id)
        row = await Character.objects.aget(pk=character_id)
        state = await character_state_get(character_id)
        capped = loaded and int(loaded.battle["t"]) >= int(loaded.battle["offline_at"]) + offline_cap_ms()
        if capped and all(getattr(row, field) == state[field] for field in INT_FIELDS):
            return
        assert time.monotonic() < deadline, "the offline battle did not freeze"
        await asyncio.sleep(0.3)


def worker_killed_mid_cycle(kill: Callable[[], None], character_ids: list[int], timeout: float = 20) -> dict[int, dict]:
    """Kill the Celery worker (`kill`, which returns once it is dead) in the middle of a cycle of one of
    these battles: when the worker's dispatch has claimed it (its due time pushed a lease ahead) and
    its cycle has not yet written it. Returns the battles whose cycle the kill cut short, as
    {character id: {"due": the leased due time, "v": version, "t": battle time}}, read again once
    the worker is dead: still leased and unchanged. Empty when the cycle won the race, writing in the
    moment between the claim being seen and the kill landing."""
    from battles.services import DUE_KEY, LEASE_MS, battle_key, now_ms
    from mudserver.redis_client import get_redis

    def read() -> dict[int, dict]:
        pipe = get_redis().pipeline()  # MULTI: the schedule and the battles as of one instant
        pipe.zmscore(DUE_KEY, character_ids)
        for character_id in character_ids:
            pipe.hmget(battle_key(character_id), "v", "t")
        scores, *battles = pipe.execute()
        return {
            character_id: {"due": score, "v": v, "t": int(t)}
            for character_id, score, (v, t) in zip(character_ids, scores, battles, strict=True)
        }

    deadline = time.monotonic() + timeout
    while True:
        seen = read()
        # A written cycle schedules the next within a cycle period (1 s); a claim, a lease (10 s) ahead.
        leased = {cid: battle for cid, battle in seen.items() if (battle["due"] or 0) > now_ms() + LEASE_MS / 2}
        if leased:
            kill()
            break
        assert time.monotonic() < deadline, "no cycle of these battles was dispatched"
    after = read()
    return {cid: battle for cid, battle in leased.items() if after[cid] == battle}
