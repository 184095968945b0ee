"""Waits shared by the flow tests."""

import asyncio
import time

from accounts.character_state import INT_FIELDS, character_state_get
from accounts.models import Character


async def battle_frozen_wait(character_id: int, timeout: float = 15) -> None:
    """Until the offline battle has reached its cap (3 s in the test settings) and the database holds
    the character's last state."""
    from battles.services import battle_get

    deadline = time.monotonic() + timeout
    while True:
        loaded = await asyncio.to_thread(battle_get, character_id)
        row = await Character.objects.aget(pk=character_id)
        state = await character_state_get(character_id)
        capped = loaded and int(loaded.battle["t"]) >= int(loaded.battle["offline_at"]) + 3000
        if capped and all(getattr(row, field) == state[field] for field in INT_FIELDS):
            return
        assert time.monotonic() < deadline, "the offline battle did not freeze"
        await asyncio.sleep(0.3)
