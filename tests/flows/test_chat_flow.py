"""Chat over real WebSockets (GAME.md §7): shards, notices, whispers, history, limits, mutes."""

import asyncio
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.models import Character
from chat import channels
from chat.models import ChatMessage
from chat.services import chat_log_flush, chat_mute, chat_say, presence_sweep
from mudserver.presence import heartbeat_key
from mudserver.redis_client import get_async_redis
from tests.client import Client, connected

pytestmark = pytest.mark.usefixtures("live_db", "quiet_chat")


async def _chatter(game_server) -> tuple[Client, str]:
    client = await connected(game_server)
    name = await client.sign_up()
    presence = await client.next("chat_presence")
    client.channel = presence["channel"]
    return client, name


async def _say(client: Client, text: str, **extra) -> None:
    await client.send({"type": "chat", "text": text, **extra})


async def test_shards_fill_lowest_first_and_overflow(game_server):
    players = [await _chatter(game_server) for _ in range(12)]
    assert [c.channel for c, _n in players] == ["global-1"] * 10 + ["global-2"] * 2
    first = players[0][0]
    joins = [await first.until(lambda f, n=name: f["joined"] == n, kind="chat_presence") for _c, name in players[1:10]]
    assert [j["members"] for j in joins] == list(range(2, 11)) and all(j["capacity"] == 10 for j in joins)
    # one of shard 1 leaves: the next player fills that place, not shard 2
    leaver, leaver_name = players[3]
    await leaver.close()
    left = await first.until(lambda f: f["left"] == leaver_name, kind="chat_presence")
    assert left["members"] == 9
    newcomer, _name = await _chatter(game_server)
    assert newcomer.channel == "global-1"
    # the two in shard 2 leave: the shard disappears and its number is free again
    for client, _name in players[10:]:
        await client.close()
    await asyncio.sleep(0.3)
    assert "2" not in await get_async_redis().zrange(channels.SHARDS_KEY, 0, -1)
    for client, _name in [*players[:3], *players[4:10], (newcomer, "")]:
        await client.close()


async def test_concurrent_sign_ins_never_overfill(game_server):
    async def join_one(i):
        return await channels.shard_join(10_000_000 + i)

    results = await asyncio.gather(*[join_one(i) for i in range(95)])
    counts = {}
    for membership in results:
        counts[membership.channel] = counts.get(membership.channel, 0) + 1
    assert sorted(counts.values(), reverse=True) == [10] * 9 + [5]
    for i in range(95):
        await channels.channel_leave(10_000_000 + i)
    assert await get_async_redis().zcard(channels.SHARDS_KEY) == 0


async def test_messages_history_and_escaping(game_server):
    (a, a_name), (b, b_name) = await _chatter(game_server), await _chatter(game_server)
    typed = "<script>alert(1)</script> |r red? ||"
    await _say(a, typed)
    for client in (a, b):
        message = await client.next("chat")
        assert message["text"] == typed and message["from"] == a_name and message["whisper"] is False
        assert message["channel"] == a.channel and message["at"]
    b_id = (await Character.objects.aget(name=b_name)).pk
    for i in range(55):  # through the service: the socket would (rightly) rate-limit this
        assert await chat_say(character_id=b_id, name=b_name, text=f"line {i}") is None
    late, _name = await _chatter(game_server)
    history = [await late.next("chat") for _ in range(50)]
    assert [h["text"] for h in history] == [f"line {i}" for i in range(5, 55)]
    # The worker's own periodic flush may hold the log's messages mid-write: flush until they are stored.
    deadline = time.monotonic() + 10
    while True:
        await asyncio.to_thread(chat_log_flush)
        stored = await sync_to_async(
            lambda: list(ChatMessage.objects.filter(sender_name=a_name).values_list("text", flat=True))
        )()
        if typed in stored or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert typed in stored
    for client in (a, b, late):
        await client.close()


async def test_whispers(game_server):
    (a, a_name), (b, b_name) = await _chatter(game_server), await _chatter(game_server)
    await _say(a, f"/w {b_name} psst |secret|")
    for client in (a, b):
        whisper = await client.next("chat")
        assert whisper == {**whisper, "whisper": True, "from": a_name, "to": b_name, "text": "psst |secret|"}
    await _say(b, "and back", to=a_name)
    assert (await a.next("chat"))["text"] == "and back"
    await _say(a, "/w nobodyatall hello")
    out = await a.next("output")
    assert "no character named 'nobodyatall'" in out["text"]
    gone, gone_name = await _chatter(game_server)
    await gone.close()
    await a.until(lambda f: f["left"] == gone_name, kind="chat_presence")  # the server saw it go
    await asyncio.sleep(0.2)
    await _say(a, "hello", to=gone_name)
    assert "is not online" in (await a.next("output"))["text"]
    await _say(a, "me", to=a_name)
    assert "yourself" in (await a.next("output"))["text"]
    for client in (a, b):
        await client.close()


async def test_limits_length_rate_and_empty(game_server):
    a, _name = await _chatter(game_server)
    await _say(a, "x" * 301)
    assert (await a.next("error"))["code"] == "too_long"
    await _say(a, "x" * 300)
    assert len((await a.next("chat"))["text"]) == 300
    await _say(a, "   ")
    assert "empty message" in (await a.next("output"))["text"]
    b, b_name = await _chatter(game_server)
    for i in range(5):
        await _say(b, f"quick {i}")
    await _say(b, "one too many")
    warned = await b.next("error")
    assert warned["code"] == "rate_limited" and "5 messages in 5 seconds" in warned["text"]
    texts = [(await b.until(lambda f: f["from"] == b_name, kind="chat"))["text"] for _ in range(5)]
    assert texts == [f"quick {i}" for i in range(5)]
    assert (await b.command("help"))["scene"] == "front"  # commands are not chat: not limited by it
    for client in (a, b):
        await client.close()


async def test_a_game_master_mute(game_server):
    (a, a_name), (b, _b) = await _chatter(game_server), await _chatter(game_server)
    character = await Character.objects.aget(name=a_name)
    await sync_to_async(chat_mute)(character_id=character.pk, until=timezone.now() + timedelta(minutes=5))
    await _say(a, "can anyone hear me")
    out = await a.next("output")
    assert "muted you until" in out["text"]
    await _say(b, "quiet here")
    assert (await b.next("chat"))["text"] == "quiet here"
    for client in (a, b):
        await client.close()


async def test_no_ghost_members_after_abrupt_disconnects(game_server):
    a, a_name = await _chatter(game_server)
    b, b_name = await _chatter(game_server)
    b.ws.transport.abort()  # no close frame: the TCP connection just drops
    left = await a.until(lambda f: f["left"] == b_name, kind="chat_presence")
    assert left["members"] == 1
    # a web process that dies takes its sockets' goodbyes with it: the heartbeat sweep cleans up
    ghost = await Character.objects.aget(name=a_name)
    a.ws.transport.pause_reading()
    await get_async_redis().delete(heartbeat_key(ghost.pk))
    await get_async_redis().sadd(channels.ALL_KEY, ghost.pk)
    removed = await asyncio.to_thread(presence_sweep)
    assert removed >= 1
    assert await get_async_redis().get(channels.at_key(ghost.pk)) is None
    assert a_name not in await get_async_redis().zrange("mud:online", 0, -1)
    a.ws.transport.abort()


async def test_moving_to_a_room_channel_and_back(game_server):
    from chat.services import chat_move

    (a, a_name), (b, b_name), (c, _c) = [await _chatter(game_server) for _ in range(3)]
    ids = [(await Character.objects.aget(name=n)).pk for n in (a_name, b_name)]
    for character_id in ids:
        await chat_move(character_id=character_id, room="room-test")
    entered = await b.until(lambda f: f["channel"] == "room-test", kind="chat_presence")
    assert entered["capacity"] == 10
    await a.until(lambda f: f["channel"] == "room-test" and f["members"] == 2, kind="chat_presence")
    await _say(a, "only the room hears this")
    assert (await b.until(lambda f: f["channel"] == "room-test", kind="chat"))["text"] == "only the room hears this"
    await _say(c, "global")
    assert (await c.until(lambda f: f["text"] == "global", kind="chat"))["channel"].startswith("global-")
    with pytest.raises(TimeoutError):  # the room does not hear the global channel
        await b.until(lambda f: f["text"] == "global", kind="chat", timeout=0.5)
    for character_id in ids:
        await chat_move(character_id=character_id, room=None)
    # b's join may reach a before a's own (the two connections move concurrently)
    await a.until(lambda f: f["channel"].startswith("global-") and f.get("joined") == a_name, kind="chat_presence")
    await b.until(lambda f: f["channel"].startswith("global-"), kind="chat_presence")
    assert not await get_async_redis().exists(channels.MEMBERS_PREFIX + "room-test")  # emptied, removed
    for client in (a, b, c):
        await client.close()
