"""Hot state reaches the database behind play: within seconds through the real Celery worker and
beat, and at once on sign-out (DESIGN.md invariant 3)."""

import asyncio
import time

import pytest

from accounts.character_state import character_state_get, character_state_mutate
from accounts.models import Character
from tests.client import connected

pytestmark = pytest.mark.usefixtures("live_db")


async def _db_row(name: str) -> Character:
    return await Character.objects.aget(name=name)


async def test_changes_reach_the_database_within_five_seconds(game_server, celery_worker):
    client = await connected(game_server)
    name = await client.sign_up()
    character = await _db_row(name)
    await character_state_mutate(character.pk, lambda s: ({"exp": 300, "hp": 5}, None))
    for step in ("v", "2", "2", "3", "3", "2"):  # heal, then enhance once
        await client.command(step)
    hot = await character_state_get(character.pk)
    deadline = time.monotonic() + 5
    while True:
        row = await _db_row(name)
        if (row.hp, row.exp, row.weapon_level) == (hot["hp"], hot["exp"], hot["weapon_level"]):
            break
        assert time.monotonic() < deadline, f"not flushed within 5 s: {row.__dict__} vs {hot}"
        await asyncio.sleep(0.2)
    assert row.hp == 100 and row.exp == 290
    await client.close()


async def test_sign_out_writes_at_once(game_server):
    client = await connected(game_server)
    name = await client.sign_up()
    character = await _db_row(name)
    await character_state_mutate(character.pk, lambda s: ({"exp": 777, "kills": 3}, None))
    await client.command("out")
    row = await _db_row(name)
    assert (row.exp, row.kills) == (777, 3)
    await client.close()


async def test_signing_in_again_keeps_unflushed_progress(game_server):
    """Redis owns the hot state: a newer hash is never overwritten by the older database row."""
    client = await connected(game_server)
    name = await client.sign_up()
    character = await _db_row(name)
    await client.close()
    await character_state_mutate(character.pk, lambda s: ({"exp": 1234}, None))
    again = await connected(game_server)
    await again.sign_in(name)
    assert (await again.status())["exp"] == 1234
    await again.close()
