"""What a player leaves in Redis goes after the idle time (mudserver.player_keys; README, "Operating
it"), except what an offline battle of theirs needs while it runs. Every character that ever signed
in used to keep its `mud:pl:<id>` hash for good."""

import asyncio
import time

import pytest
from django.conf import settings

from accounts.character_state import character_state_mutate, state_key
from accounts.models import Character
from battles.services import battle_get, battle_key
from chat.services import presence_sweep
from mudserver.presence import heartbeat_key
from mudserver.redis_client import get_async_redis
from mudserver.scene_store import player_key
from tests.client import Client, connected, session_cookie
from tests.conftest import _stop, daphne_start
from tests.waits import battle_frozen_wait

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")

# This test's web process; the worker keeps the test settings' (a day). Longer than the worker may
# take to reach a battle that just went offline while other tests' battles catch up 8 hours: its
# first offline write is what renews the keys, and a state gone before it orphans the battle.
IDLE_SECONDS = 12
# Shared structures that name players inside them, and how: by character id or by name.
BY_ID = {"mud:chat:all": "set", "mud:ch:dirty": "set", "mud:bt:due": "zset", "mud:online:names": "hash"}
BY_NAME = {"mud:online": "zset", "mud:online:ids": "hash"}


@pytest.fixture(scope="module")
def idle_server(process_env, log_dir):
    """A web process whose players' keys expire IDLE_SECONDS after they leave."""
    process, port = daphne_start(dict(process_env, PLAYER_IDLE_SECONDS=str(IDLE_SECONDS)), log_dir, name="web-idle")
    yield f"http://127.0.0.1:{port}"
    _stop(process)


async def _member(kind: str, key: str, member: str) -> bool:
    r = get_async_redis()
    if kind == "set":
        return await r.sismember(key, member)
    if kind == "zset":
        return await r.zscore(key, member) is not None
    return await r.hexists(key, member)


async def _traces(character: Character) -> list[str]:
    """Every key named after the player (their character id, user id or name), and every shared
    structure that still lists them."""
    r = get_async_redis()
    cid, uid, name = character.pk, character.user_id, character.name
    found = set()
    for pattern in (f"*:{cid}", f"*.{cid}", f"*:{name}"):
        # mud:conn: is keyed by user id: this one would be another account's
        found |= {key async for key in r.scan_iter(pattern) if not key.startswith("mud:conn:")}
    found |= {key async for key in r.scan_iter(f"mud:conn:{uid}")}
    for key, kind in BY_ID.items():
        if await _member(kind, key, str(cid)):
            found.add(f"{key} lists {cid}")
    for key, kind in BY_NAME.items():
        if await _member(kind, key, name):
            found.add(f"{key} lists {name}")
    async for key in r.scan_iter("mud:chat:m:*"):
        if await r.sismember(key, str(cid)):
            found.add(f"{key} lists {cid}")
    return sorted(found)


async def _traces_gone(character: Character, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while left := await _traces(character):
        assert time.monotonic() < deadline, f"still in Redis {timeout} s after leaving: {left}"
        await asyncio.sleep(0.2)


async def _ttls(character_id: int) -> list[int]:
    r = get_async_redis()
    return [await r.ttl(key) for key in (state_key(character_id), player_key(character_id), battle_key(character_id))]


async def test_a_player_who_signed_out_leaves_nothing_after_the_idle_time(idle_server):
    client = await connected(idle_server)
    username = await client.sign_up()
    character = await Character.objects.aget(name=username)
    await client.next("chat_presence")
    walk = [
        ("v", "village"),
        ("2", "heal"),
        ("3", "village"),
        ("g home", "front"),
        ("d", "dungeon"),
        ("enter 1", "dungeon_gate"),
        ("b", "dungeon"),
        ("b", "front"),
        ("lang ko", "front"),
    ]
    for line, scene in walk:
        assert (await client.command(line))["scene"] == scene, line
    await client.send({"type": "chat", "text": "hello"})
    echo = await client.until(lambda f: f["from"] == username, "chat")  # others may share the shard
    assert echo["text"] == "hello"
    assert await _traces(character), "nothing of the player in Redis while signed in"
    assert (await client.command("out"))["scene"] == "front"
    state_ttl, scene_ttl, _battle = await _ttls(character.pk)
    assert 0 < state_ttl <= IDLE_SECONDS and 0 < scene_ttl <= IDLE_SECONDS
    await _traces_gone(character, timeout=IDLE_SECONDS + 3)
    # Signing in again starts from the database, with everything kept as before.
    assert (await client.sign_in(username))["scene"] == "front"
    assert await _ttls(character.pk) == [-1, -1, -2]
    await client.close()
    await _traces_gone(character, timeout=IDLE_SECONDS + 3)


async def test_an_offline_battle_keeps_what_it_needs_until_it_ends(idle_server):
    cookie = session_cookie(idle_server)
    client = await connected(idle_server, cookie=cookie)
    character = await Character.objects.aget(name=await client.sign_up())
    await character_state_mutate(character.pk, lambda state: ({"weapon_level": 1000, "attack": 1011}, None))
    await client.command("d")
    await client.command("enter 1")
    assert (await client.command("a"))["scene"] == "auto_battle"
    await client.close()  # the battle goes on offline, up to the 8-hour cap the test moves the clock past
    await battle_frozen_wait(character.pk)  # past this web process's idle time since the player left
    # The battle's writes renewed its hashes beyond what leaving gave them (the worker's idle time).
    assert all(ttl > IDLE_SECONDS for ttl in await _ttls(character.pk)), await _ttls(character.pk)
    again = await Client.connect(idle_server, cookie=cookie)
    assert "While you were away" in (await again.welcome())["plain"]
    assert await _ttls(character.pk) == [-1, -1, -1]  # kept again while connected
    await again.ask("s", "stop fighting")
    assert (await again.command("g out"))["scene"] == "front"
    await _traces_gone(character, timeout=IDLE_SECONDS + 3)
    await again.close()


async def test_a_player_whose_web_process_died_expires_too(idle_server):
    """No goodbye (a web process killed): the account's presence hash goes after three missed
    heartbeats, and the presence sweep puts the battle offline and lets the rest expire."""
    client = await connected(idle_server)
    character = await Character.objects.aget(name=await client.sign_up())
    await character_state_mutate(character.pk, lambda state: ({"weapon_level": 1000, "attack": 1011}, None))
    await client.command("d")
    await client.command("enter 1")
    assert (await client.command("a"))["scene"] == "auto_battle"
    r = get_async_redis()
    assert 0 < await r.ttl(f"mud:conn:{character.user_id}") <= 3 * settings.GAME["HEARTBEAT_SECONDS"]
    client.ws.transport.pause_reading()  # its web process is gone, as far as the sweep can tell:
    await r.delete(heartbeat_key(character.pk))  # no heartbeat
    assert await asyncio.to_thread(presence_sweep) >= 1
    assert all(ttl > 0 for ttl in await _ttls(character.pk)), await _ttls(character.pk)
    assert not (await asyncio.to_thread(battle_get, character.pk)).online  # capped like any offline battle
    client.ws.transport.abort()
