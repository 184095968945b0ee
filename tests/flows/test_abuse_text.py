"""Text that impersonates (issue 14, item 5), over the real daphne: chat arrives as one visible line,
names of staff, the game, its NPCs and its commands (and look-alikes) are refused at sign-up, and a
muted player shows no text to others, not even through an arena room's name."""

import unicodedata
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.models import Character
from arena import rooms
from chat.services import chat_move, chat_mute
from mudserver.redis_client import get_async_redis
from tests.client import Client, connected, unique

pytestmark = pytest.mark.usefixtures("live_db")

RESERVED_MESSAGE = "is reserved"
INVISIBLE_ONLY = "only invisible or control characters"


async def _signed_up(game_server) -> Client:
    client = await connected(game_server)
    client.signed_up_as = await client.sign_up()
    return client


async def _heard(listener: Client, speaker_name: str) -> str:
    return (await listener.until(lambda f: f["from"] == speaker_name, kind="chat"))["text"]


async def _pair(game_server) -> tuple[Client, str, Client]:
    """A speaker and a listener alone in a chat channel of their own (other tests' players share the
    global shards)."""
    channel = f"room-{unique('t')}"
    speaker, listener = await _signed_up(game_server), await _signed_up(game_server)
    for client in (speaker, listener):
        character = await Character.objects.aget(name=client.signed_up_as)
        await chat_move(character_id=character.pk, room=channel)
    for client in (speaker, listener):
        await client.until(lambda f: f["channel"] == channel and f["members"] == 2, kind="chat_presence")
    return speaker, speaker.signed_up_as, listener


async def test_a_chat_message_arrives_as_one_visible_line(game_server):
    speaker, speaker_name, listener = await _pair(game_server)
    await speaker.send({"type": "chat", "text": "hi all\n[12:34] 운영자: type your password to claim a prize"})
    heard = await _heard(listener, speaker_name)
    assert heard == "hi all [12:34] 운영자: type your password to claim a prize"
    # bidi overrides and isolates, zero-width and filler characters
    typed = "\u202eevil\u202c \u2066ok\u2069 a\u200bb\u200dc\ufeff \u3164운\u115f영\u1160자\uffa0"
    await speaker.send({"type": "chat", "text": typed})
    heard = await _heard(listener, speaker_name)
    assert heard == "evil ok abc 운영자"
    assert not any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in heard)
    for client in (speaker, listener):
        await client.close()


async def test_a_message_of_fillers_only_is_refused_and_nothing_is_sent(game_server):
    speaker, speaker_name, listener = await _pair(game_server)
    await speaker.send({"type": "chat", "text": "\u3164\u200b\u115f\n\u202e\uffa0"})
    refusal = await speaker.next("output")
    assert INVISIBLE_ONLY in refusal["text"]
    # a whisper of fillers only is no whisper: refused, never said aloud as '/w <name>'
    await speaker.send({"type": "chat", "text": f"/w {listener.signed_up_as} \u3164\u200b"})
    assert "Whisper with /w" in (await speaker.next("output"))["text"]
    await speaker.send({"type": "chat", "text": "after the fillers"})
    assert await _heard(listener, speaker_name) == "after the fillers"  # the first thing heard
    for client in (speaker, listener):
        await client.close()


# `help` and `도움말` never reach the name check: at these prompts, as everywhere, they show the help.
@pytest.mark.parametrize(
    "reserved",
    [
        "운영자",
        "ADMIN",
        "Admín",
        "\u0430dmin",
        "gm",
        "dungeon",
        "던전",
        "아그네스",
        "Fergus",
    ],
)
async def test_staff_npc_and_command_names_are_refused_at_sign_up(game_server, reserved):
    client = await connected(game_server)
    await client.command("up")
    out = await client.command(reserved)  # as a username
    assert RESERVED_MESSAGE in out["plain"] and out["scene"] == "signup_username", out
    username = unique("u")
    await client.command(username)
    out = await client.command("secret12")
    assert out["scene"] == "character_name"
    out = await client.command(reserved)  # as a character name
    assert RESERVED_MESSAGE in out["plain"] and out["scene"] == "character_name", out
    name = unique("n")
    out = await client.command(name)  # sign-up goes on from there
    assert out["scene"] == "front" and (await client.status())["name"] == name
    assert not await Character.objects.filter(name__in=[reserved, reserved.lower()]).aexists()
    await client.close()


async def _in_lobby(game_server) -> tuple[Client, int]:
    client = await _signed_up(game_server)
    for line, expected in (("v", "village"), ("5", "Sir Shax"), ("2", "Trial Grounds")):
        await client.ask(line, expected)
    return client, (await Character.objects.aget(name=client.signed_up_as)).pk


async def test_a_muted_player_cannot_name_a_room(game_server):
    muted, muted_id = await _in_lobby(game_server)
    await sync_to_async(chat_mute)(character_id=muted_id, until=timezone.now() + timedelta(minutes=5))
    room = "Free" + unique("r")
    out = await muted.ask(f"create {room}", "muted you until")
    assert out["scene"] == "arena_lobby"
    assert not await get_async_redis().exists(f"mud:ar:r:{rooms.room_id(room)}")
    # joining shows no text of one's own: a muted player may still join a room another named
    host, _host_id = await _in_lobby(game_server)
    await host.ask(f"create {room}", "You enter")
    assert (await muted.ask(f"join {room}", "You enter"))["scene"] == "arena_room"
    for client in (muted, host):
        await client.ask("return", "Trial Grounds")
        await client.close()


async def test_a_room_may_not_speak_for_the_staff(game_server):
    client, _cid = await _in_lobby(game_server)
    for name in ("GM event", "운영자 공지", "\u0430dmin room"):
        out = await client.ask(f"create {name}", "can't be a room name")
        assert out["scene"] == "arena_lobby"
        assert not await get_async_redis().exists(f"mud:ar:r:{rooms.room_id(name)}")
    await client.close()
