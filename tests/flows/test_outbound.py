"""One way out to players (DESIGN.md, "Pushes"), over the real processes: what a player is told
arrives in the order it was told, whichever service told it; a move writes the player's scene
once; a match's end updates the status bar without the arena sending it."""

import asyncio
import re

import pytest
import redis.asyncio as aioredis
from django.conf import settings

from accounts import gm
from accounts.character_state import character_state_mutate
from accounts.models import Character, User
from arena import rooms
from battles.events import BattleCycle, FightLine
from chat.services import chat_say
from mudserver import push
from mudserver.scene_store import player_key
from tests.client import connected, unique
from tests.flows.test_arena_flow import _to_lobby

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")


async def _player(server: str):
    client = await connected(server)
    name = await client.sign_up()
    return client, name, (await Character.objects.aget(name=name)).pk


async def test_what_a_player_is_told_arrives_in_the_order_it_was_told(game_server, game_server_2):
    """A battle's feed line, a whisper and a game master's notice, told back to back ten times by
    the services that tell them, without waiting for any to arrive, reach the player in that order
    (they once took two routes: the whisper through a channel-layer group, the others through the
    web process's mailbox)."""
    reader, reader_name, reader_id = await _player(game_server)
    whisperer, whisperer_name, whisperer_id = await _player(game_server_2)
    actor = await User.objects.acreate(username=unique("gm"), is_staff=True, is_superuser=True)
    rounds = 10
    for i in range(rounds):
        await push.tell([reader_id], BattleCycle((FightLine("level", 100 + i, 0, ""),)))
        refusal = await chat_say(character_id=whisperer_id, name=whisperer_name, text=f"w{i}", to=reader_name)
        assert refusal is None
        await asyncio.to_thread(gm.gm_notice, actor=actor, text=f"n{i} {reader_name}")

    expected = [kind for i in range(rounds) for kind in (f"feed{i}", f"whisper{i}", f"notice{i}")]
    seen = []
    async with asyncio.timeout(20):
        while len(seen) < len(expected):
            frame = await reader.next()
            if frame["type"] == "chat" and frame["whisper"] and frame["from"] == whisperer_name:
                seen.append(f"whisper{frame['text'][1:]}")
            elif frame["type"] == "output" and (level := re.search(r"now level 1(\d\d)", frame["text"])):
                seen.append(f"feed{int(level.group(1))}")
            elif frame["type"] == "output" and (notice := re.search(rf"n(\d+) {reader_name}", frame["text"])):
                seen.append(f"notice{notice.group(1)}")
    assert seen == expected
    for client in (reader, whisperer):
        await client.close()


async def test_a_move_writes_the_players_scene_once(game_server):
    """A manual fight lost: the command that starts it and the worker's cycle that knocks the player
    out each change the scene once, so the player's hash is written twice (it was three times: the
    worker wrote the scene, then the connection again when the move reached it)."""
    client, _name, cid = await _player(game_server)
    await character_state_mutate(cid, lambda state: ({"hp": 1, "auto_retreat": 0}, None))
    for line, scene in (("d", "dungeon"), ("enter 1", "dungeon_gate"), ("n", "encounter")):
        assert (await client.command(line))["scene"] == scene
    r = aioredis.from_url(settings.REDIS_URL, decode_responses=True)
    db = r.connection_pool.connection_kwargs.get("db", 0)
    before = await r.config_get("notify-keyspace-events")
    await r.config_set("notify-keyspace-events", "Kh")  # hash commands, by key
    pubsub = r.pubsub()
    sentinel = f"mud:test:sentinel:{cid}"
    await pubsub.subscribe(f"__keyspace@{db}__:{player_key(cid)}", f"__keyspace@{db}__:{sentinel}")
    try:
        assert (await client.command("attack"))["scene"] == "manual_battle"
        death = await client.until(lambda frame: "Knocked out!" in frame["plain"])
        assert death["scene"] == "heal"
        await client.send({"type": "ping"})  # the move is taken before its text is sent; this only settles
        await client.next("pong")
        await r.hset(sentinel, "at", 1)  # notifications come in order: once this one is here, all are
        writes = 0
        async with asyncio.timeout(10):
            async for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                if message["channel"].endswith(sentinel):
                    break
                writes += message["data"] == "hset"
        assert writes == 2
        assert await r.hget(player_key(cid), "scene") == "heal"
        assert (await client.command("x"))["scene"] == "heal"  # the connection moved too
    finally:
        await pubsub.aclose()
        await r.config_set("notify-keyspace-events", before["notify-keyspace-events"])
        await r.delete(sentinel)
        await r.aclose()
    await client.close()


async def test_a_match_end_updates_the_status_bar(game_server, game_server_2):
    """Six level-1 fighters at 1 HP (a match uses their full HP): at the end everyone is restored
    and the winners gain 50 exp (GAME.md §6: 50 x the losers' mean level 1 x 3 / 3); each one's
    status bar shows it, sent by the change itself, before the result is told."""
    room = "Bar" + unique("m")
    fighters = [await _to_lobby(game_server if i % 2 else game_server_2, attack=5000, hp=1) for i in range(6)]
    await fighters[0][0].ask(f"create {room}", "You enter")
    for client, _name, _cid in fighters[1:]:
        await client.ask(f"join {room}", "You enter")
    for client, _name, _cid in fighters:
        await client.until(lambda f: "The match begins!" in f["plain"], timeout=20)
    _room, players, _spectators = await rooms.room_get(rooms.room_id(room))
    team = {p["name"]: p["team"] for p in players}
    by_team = {side: [f for f in fighters if team[f[1]] == side] for side in "AB"}
    for (attacker, _a, _ac), (_target, target_name, _tc) in zip(by_team["A"], by_team["B"], strict=True):
        await attacker.ask(f"{target_name} attack", "hits")
    for client, name, _cid in fighters:
        await client.until(lambda f: "TEAM A wins" in f["plain"], timeout=10)
        bar = await client.bar_now()
        won = team[name] == "A"
        assert (bar["hp"], bar["exp"]) == (bar["max_hp"], 50 if won else 0), name
    for client, _name, _cid in fighters:
        await client.close()
