"""A Redis restart under a running cluster (issue 9). Redis keeps nothing on disk, so a restart empties
it: what was written behind to the database before it is kept (DESIGN.md invariant 3), players are
reconnected signed in and play on, and new players sign up."""

import asyncio
import time
from datetime import timedelta

import pytest
import redis
import websockets
from django.utils import timezone

from accounts.character_state import DIRTY_KEY, state_key
from accounts.models import Character, User
from chat.services import mute_key
from mudserver.markup import strip
from tests.client import Client, connected, session_cookie

pytestmark = pytest.mark.usefixtures("live_db")

WRITE_BEHIND_SECONDS = 5  # DESIGN.md: the loss window
STRONG_WEAPON = 1000  # within GAME.md §3's range, and one blow kills anything in dungeon 1, at every level


def _mutate(hot: redis.Redis, character_id: int, **changes: int) -> None:
    """Change a character's hot state as a game service does (character_state_mutate), in the cluster's Redis."""
    key = state_key(character_id)
    pipe = hot.pipeline(transaction=True)
    pipe.hset(key, mapping=changes).hincrby(key, "v", 1).sadd(DIRTY_KEY, character_id).execute()


async def _written_behind(character_id: int, **expected: int) -> Character:
    deadline = time.monotonic() + WRITE_BEHIND_SECONDS
    while True:
        row = await Character.objects.aget(pk=character_id)
        if all(getattr(row, field) == value for field, value in expected.items()):
            return row
        assert time.monotonic() < deadline, f"not in the database within {WRITE_BEHIND_SECONDS} s: {expected}"
        await asyncio.sleep(0.2)


async def _closed_code(client: Client) -> int:
    """Read what is left until the server closes the socket."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await client.next(timeout=10)
    return closed.value.rcvd.code


async def _reconnected(base_url: str, cookie: str) -> tuple[Client, dict, dict]:
    """Reconnect as the web client does after a close (same session cookie); return the client, its
    welcome output and its status."""
    for _attempt in range(50):
        try:
            client = await Client.connect(base_url, cookie=cookie)
        except (OSError, websockets.InvalidStatus):
            await asyncio.sleep(0.1)
            continue
        output = await client.next("output")
        return client, output, await client.status()
    raise AssertionError("could not reconnect")


async def test_a_redis_restart_keeps_what_was_written_behind_and_the_game_goes_on(cluster):
    hot = redis.Redis.from_url(cluster.redis.url, decode_responses=True)  # the cluster's Redis, not this process's
    cookies = [session_cookie(cluster.url), session_cookie(cluster.url)]
    a = await connected(cluster.web_url("web1"), cookie=cookies[0])  # a player on each web process
    b = await connected(cluster.web_url("web2"), cookie=cookies[1])
    name_a, name_b = await a.sign_up(), await b.sign_up()
    id_a = (await Character.objects.aget(name=name_a)).pk
    id_b = (await Character.objects.aget(name=name_b)).pk
    _mutate(hot, id_a, exp=4321, kills=7)
    muted_until = timezone.now() + timedelta(hours=1)  # a game master's mute (chat.services.chat_mute)
    await User.objects.filter(character__pk=id_b).aupdate(chat_muted_until=muted_until)
    hot.set(mute_key(id_b), muted_until.isoformat())
    assert (await a.command("v"))["scene"] == "village"
    await _written_behind(id_a, exp=4321, kills=7)

    cluster.redis.stop()
    cluster.redis.start()  # empty

    # Every signed-in socket is told and closed with "service restart", on which clients reconnect.
    for client in (a, b):
        await client.until(lambda frame: "server restarted" in frame["plain"])
        assert await _closed_code(client) == 4012
    a, welcome, status = await _reconnected(cluster.url, cookies[0])
    assert "Welcome back" in strip(welcome["text"]) and welcome["scene"] == "front"
    assert status["name"] == name_a and status["exp"] == 4321
    assert (await Character.objects.aget(pk=id_a)).kills == 7
    b, welcome, _status = await _reconnected(cluster.url, cookies[1])
    assert welcome["scene"] == "front"

    # Chat: both are in a shard again; the mute, kept in the database, still holds.
    await a.send({"type": "chat", "text": "still here?"})
    heard = await b.until(lambda frame: frame["from"] == name_a, kind="chat")
    assert heard["text"] == "still here?"
    await b.send({"type": "chat", "text": "yes"})
    assert "muted you until" in (await b.until(lambda frame: "muted" in frame["plain"]))["plain"]

    # The worker and beat are back on the broker: an auto-battle advances, and changes are written behind.
    _mutate(hot, id_a, weapon_level=STRONG_WEAPON, attack=11 + STRONG_WEAPON)  # no death to wait out
    assert (await a.command("d"))["scene"] == "dungeon"
    assert (await a.command("enter 1"))["scene"] == "dungeon_gate"
    assert (await a.command("a"))["scene"] == "auto_battle"
    await a.until(lambda frame: "falls!" in frame["plain"], timeout=20)
    assert (await a.ask("s", "stop fighting"))["scene"] == "dungeon"
    _mutate(hot, id_a, exp=5000)
    await _written_behind(id_a, exp=5000)

    newcomer = await connected(cluster.url)
    await newcomer.sign_up()
    assert (await newcomer.command("v"))["scene"] == "village"
    for client in (a, b, newcomer):
        await client.close()
    assert all(process.poll() is None for process in cluster.processes.values())
