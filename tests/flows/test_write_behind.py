"""Hot state reaches the database behind play: within seconds through the real Celery worker and
beat, and at once on sign-out (DESIGN.md invariant 3)."""

import asyncio
import time

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.character_state import (
    DIRTY_KEY,
    character_state_ensure,
    character_state_get,
    character_state_mutate,
    state_key,
)
from accounts.models import Character, SetAsideWrite, User
from mudserver.redis_client import get_redis
from tests.client import connected, unique
from tests.flows.test_admin_flow import _change_form_post
from tests.flows.test_observability import _get, _sample

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


TOO_BIG = 5_000_000_000  # over an unsigned INT column's 4,294,967,295: MariaDB's strict mode refuses it
SET_ASIDE_SERIES = "mud_character_writes_set_aside_total"


async def _hot_characters(count: int) -> list[Character]:
    characters = []
    for _ in range(count):
        name = unique("wb")
        user = await User.objects.acreate(username=name)
        character = await Character.objects.acreate(user=user, name=name)
        await character_state_ensure(character)
        characters.append(character)
    return characters


async def _until(check, what: str, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)
    return found


def _worker_set_aside_count(worker) -> float:
    status, body = _get(f"http://127.0.0.1:{worker.metrics_port}/metrics")
    assert status == 200
    return _sample(body, SET_ASIDE_SERIES) or 0.0


def _game_master_reads(path: str) -> tuple[int, str]:
    """A staff member who may only view unsaved writes, as a game master's group gives."""
    staff = User.objects.create_user(unique("gm"), "gm-secret-1", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_setasidewrite"))
    browser = Client(headers={"accept-language": "en"})
    browser.force_login(staff)
    response = browser.get(path)
    return response.status_code, response.content.decode()


def _superuser_saves(character: Character, **changes) -> None:
    """A game master with every permission changes the character through its change form."""
    browser = Client(headers={"accept-language": "en"})
    browser.force_login(User.objects.create_superuser(unique("gm"), "gm-secret-1"))
    _change_form_post(browser, Character, character.pk, **changes)


async def test_a_row_the_database_refuses_is_set_aside_and_the_others_are_written(celery_worker):
    """One character's hot state out of the column's range among other dirty ones: beat's flush on the
    real worker writes the others, sets the bad one aside (the admin's list, the worker's metrics),
    and a game master's fix through the character's change form is written and resolves it."""
    before = await asyncio.to_thread(_worker_set_aside_count, celery_worker)
    *good, bad = await _hot_characters(4)
    r = get_redis()
    for number, character in enumerate(good, start=1):
        await character_state_mutate(character.pk, lambda s, n=number: ({"exp": 1000 * n, "kills": n}, None))
    # Written to Redis directly, as a bug would: the game's own rules never make such a value.
    r.hset(state_key(bad.pk), mapping={"exp": TOO_BIG, "kills": 9})
    r.sadd(DIRTY_KEY, bad.pk)

    async def others_written():
        rows = [c async for c in Character.objects.filter(pk__in=[c.pk for c in good]).order_by("pk")]
        return [(row.exp, row.kills) for row in rows] == [(1000 * n, n) for n in range(1, len(good) + 1)]

    await _until(others_written, "the other characters were not written")
    entry = await _until(lambda: SetAsideWrite.objects.filter(character_id=bad.pk).afirst(), "nothing set aside")
    assert (entry.character_name, entry.values["exp"], entry.values["kills"]) == (bad.name, TOO_BIG, 9)
    assert "Out of range" in entry.error and entry.resolved_at is None
    row = await Character.objects.aget(pk=bad.pk)
    assert (row.exp, row.kills) == (0, 0)
    assert not r.sismember(DIRTY_KEY, bad.pk)  # not retried on every run

    status, page = await asyncio.to_thread(_game_master_reads, "/admin/accounts/setasidewrite/")
    assert status == 200 and bad.name in page and str(TOO_BIG) in page
    assert await asyncio.to_thread(_worker_set_aside_count, celery_worker) == before + 1
    # A later flush (another character's change written) has not tried the unchanged one again.
    await character_state_mutate(good[0].pk, lambda s: ({"deaths": 1}, None))
    await _until(lambda: Character.objects.filter(pk=good[0].pk, deaths=1).aexists(), "no later flush")
    assert (await SetAsideWrite.objects.aget(pk=entry.pk)).attempts == 1

    await asyncio.to_thread(_superuser_saves, bad, exp="4321")

    async def resolved():
        entry_now = await SetAsideWrite.objects.aget(pk=entry.pk)
        return entry_now.resolved_at is not None and entry_now

    await _until(resolved, "the fixed character's write did not resolve its entry")
    row = await Character.objects.aget(pk=bad.pk)
    assert (row.exp, row.kills) == (4321, 9)  # the fix, and the rest of what the database had refused
    status, page = await asyncio.to_thread(_game_master_reads, "/admin/accounts/setasidewrite/?resolved_at__isempty=1")
    assert status == 200 and bad.name not in page
