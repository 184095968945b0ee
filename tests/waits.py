"""Waits and the battles' clock, shared by the flow tests."""

import asyncio
import time

from django.conf import settings

from accounts.character_state import INT_FIELDS, character_state_get
from accounts.models import Character
from mudserver.redis_client import get_redis


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


async def battle_frozen_wait(character_id: int, timeout: float = 15) -> None:
    """Move the clock past the offline battle's cap, then wait until the chain has paused there and
    the database holds the character's last state."""
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
