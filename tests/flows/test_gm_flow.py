"""Game masters' actions reach a connected player at once and leave an audit entry."""

import asyncio
from datetime import timedelta

import pytest
import websockets
from django.utils import timezone

from accounts import gm
from accounts.models import AuditEntry, Character, User
from tests.client import connected, unique

pytestmark = pytest.mark.usefixtures("live_db")


@pytest.fixture
def game_master(live_db):
    return User.objects.create_superuser(unique("gm"), "gm-secret-1")


async def _player(game_server):
    client = await connected(game_server)
    name = await client.sign_up()
    await client.next("chat_presence")
    return client, await Character.objects.select_related("user").aget(name=name)


async def _act(service, **kwargs) -> AuditEntry:
    return await asyncio.to_thread(service, **kwargs)


async def test_heal_exp_weapon_reset_and_mute_reach_the_player(game_server, game_master):
    client, character = await _player(game_server)
    from accounts.character_state import character_state_mutate

    await character_state_mutate(character.pk, lambda s: ({"hp": 3}, None))
    await client.command("status")  # the bar shows the wound (a bar as the last one would be left out)
    assert (await client.status())["hp"] == 3
    entry = await _act(gm.gm_heal, actor=game_master, character=character)
    await client.until(lambda f: "restored your HP and MP" in f["plain"])
    status = await client.until(lambda f: f["character"]["hp"] != 3, kind="status")
    assert (status["character"]["hp"], status["character"]["mp"]) == (100, 100)
    assert (entry.action, entry.before["hp"], entry.after["hp"], entry.actor_name) == (
        "heal",
        3,
        100,
        game_master.username,
    )

    entry = await _act(gm.gm_exp_grant, actor=game_master, character=character, amount=500)
    await client.until(lambda f: "granted you 500 exp" in f["plain"])
    status = await client.until(lambda f: f["character"]["exp"] == 500, kind="status")
    assert status["character"]["level"] == 5 and entry.after["level"] == 5 and entry.before["level"] == 1

    entry = await _act(gm.gm_weapon_set, actor=game_master, character=character, weapon_level=7)
    status = await client.until(lambda f: f["character"]["weapon_level"] == 7, kind="status")
    assert status["character"]["attack"] == 10 + 5 + 7 and entry.after["weapon_level"] == 7

    entry = await _act(gm.gm_character_reset, actor=game_master, character=character)
    status = await client.until(lambda f: f["character"]["level"] == 1, kind="status")
    assert status["character"]["exp"] == 0 and entry.before["level"] == 5

    until = timezone.now() + timedelta(minutes=30)
    entry = await _act(gm.gm_mute, actor=game_master, character=character, until=until)
    await client.until(lambda f: "muted your chat until" in f["plain"])
    await client.send({"type": "chat", "text": "hello?"})
    assert "muted you until" in (await client.next("output"))["text"]
    assert entry.after["chat_muted_until"] and entry.before["chat_muted_until"] is None
    await _act(gm.gm_mute, actor=game_master, character=character, until=None)
    await client.until(lambda f: "lifted your chat mute" in f["plain"])
    assert await AuditEntry.objects.filter(target_id=character.pk).acount() == 6
    await client.close()


async def test_kick_closes_the_connection(game_server, game_master):
    client, character = await _player(game_server)
    entry = await _act(gm.gm_kick, actor=game_master, character=character)
    assert entry.before == {"online": True}
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await client.next(timeout=5)
    assert closed.value.rcvd.code == gm.CLOSE_KICKED


async def test_ban_signs_out_at_once_and_keeps_out(game_server, game_master):
    client, character = await _player(game_server)
    await _act(gm.gm_ban, actor=game_master, character=character)
    told = await client.until(lambda f: "banned" in f["plain"])
    assert (told["scene"], told["plain"]) == ("front", "A game master has banned this account.")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await client.next(timeout=5)
    assert closed.value.rcvd.code == gm.CLOSE_BANNED
    again = await connected(game_server)
    out = await again.sign_in(character.name)
    assert "Wrong username or password" in out["plain"]
    await _act(gm.gm_unban, actor=game_master, character=character)
    await again.command("g home")
    out = await again.sign_in(character.name)
    assert out["scene"] == "front" and "Welcome back" in out["plain"]
    assert [e.action async for e in AuditEntry.objects.filter(target_id=character.pk).order_by("created_at")] == [
        "ban",
        "unban",
    ]
    await again.close()
