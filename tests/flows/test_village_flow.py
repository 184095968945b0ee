"""The village and its five NPCs over a real WebSocket (GAME.md §2)."""

import asyncio

import pytest

from accounts.character_state import character_state_get, character_state_mutate
from accounts.models import Character
from tests.client import SCENE_PATHS, connected
from tests.waits import state_set

pytestmark = pytest.mark.usefixtures("live_db")


async def _player(game_server):
    client = await connected(game_server)
    name = await client.sign_up()
    character = await Character.objects.aget(name=name)
    return client, character.pk


async def _set(character_id: int, **changes) -> None:
    await character_state_mutate(character_id, lambda state: (changes, None))


async def _walk(client, scene: str) -> None:
    """From the main menu to `scene`."""
    for step in PATHS[scene]:
        await client.command(step)


PATHS = {
    scene: SCENE_PATHS[scene]
    for scene in ("front", "village", "story", "heal", "enhance", "gamble", "arena_npc", "arena_lobby")
}

ALIASES = [
    ("front", "V", "village"),
    ("front", "village", "village"),
    ("front", "마을", "village"),
    ("village", "1", "story"),
    ("village", "2", "heal"),
    ("village", "3", "enhance"),
    ("village", "4", "gamble"),
    ("village", "5", "arena_npc"),
    ("village", "L", "village"),
    ("village", "list", "village"),
    ("village", "목록", "village"),
    ("village", "B", "front"),
    ("village", "BACK", "front"),
    ("village", "돌아가기", "front"),
    *[
        (npc, alias, npc)
        for npc in ("story", "heal", "enhance", "gamble", "arena_npc")
        for alias in ("1", "T", "talk", "대화", "H", "help", "도움말")
    ],
    *[
        (npc, alias, "village")
        for npc in ("story", "heal", "enhance", "gamble", "arena_npc")
        for alias in ("3", "B", "Back", "돌아가기")
    ],
    ("story", "2", "story"),
    ("story", "read", "story"),
    ("story", "모험의서", "story"),
    ("heal", "2", "heal"),
    ("heal", "HEAL", "heal"),
    ("heal", "치료", "heal"),
    ("enhance", "2", "enhance"),
    ("enhance", "enhance", "enhance"),
    ("enhance", "강화", "enhance"),
    ("gamble", "2", "gamble"),
    ("gamble", "dice", "gamble"),
    ("gamble", "주사위", "gamble"),
    ("arena_npc", "2", "arena_lobby"),
    ("arena_npc", "P", "arena_lobby"),
    ("arena_npc", "시련의장", "arena_lobby"),
    ("arena_lobby", "R", "village"),
    ("arena_lobby", "돌아가기", "village"),
    ("arena_lobby", "re", "arena_lobby"),
    ("arena_lobby", "새로고침", "arena_lobby"),
    ("arena_lobby", "rank", "arena_lobby"),
    ("heal", "g home", "front"),
    ("gamble", "G HOME", "front"),
    ("story", "ㅎ home", "front"),
    ("enhance", "g help", "enhance"),
    ("village", "who", "village"),
    ("heal", "status", "heal"),
    ("heal", "상태", "heal"),
    ("village", "접속자", "village"),
]


async def test_every_scene_and_alias(game_server):
    client, _cid = await _player(game_server)
    for start, alias, expected in ALIASES:
        await client.command("g home")
        await _walk(client, start)
        out = await client.command(alias)
        assert out["scene"] == expected, (start, alias, out)
    await client.close()


@pytest.mark.parametrize("scene", list(PATHS))
async def test_unknown_input_is_quoted_and_keeps_the_scene(game_server, scene):
    client, _cid = await _player(game_server)
    await _walk(client, scene)
    out = await client.command("fly <b>away|r")
    assert out["scene"] == scene
    assert "Unknown command 'fly <b>away|r'" in out["plain"] and "[H]elp" in out["plain"]
    assert "away||r" in out["text"]  # typed text is escaped, never read as markup
    out = await client.command("")
    assert out["scene"] == scene
    await client.close()


async def test_help_lists_the_scene_commands_and_the_globals(game_server):
    client, _cid = await _player(game_server)
    await client.command("v")
    await client.command("4")
    out = await client.command("help")
    assert "talk" in out["plain"] and "dice" in out["plain"] and "g home" in out["plain"]
    await client.close()


async def test_healer_heals_revives_and_says_when_full(game_server):
    client, cid = await _player(game_server)
    await _walk(client, "heal")
    out = await client.command("2")
    assert "You look perfectly well" in out["plain"]
    await _set(cid, hp=0, mp=40)  # dead
    await client.command("status")  # the bar shows it (a bar as the last one would be left out)
    assert (await client.status())["hp"] == 0
    out = await client.command("2")
    assert "HP and MP are full" in out["plain"]
    status = await client.status()
    assert (status["hp"], status["mp"]) == (100, 100)
    await _set(cid, mp=99)  # mp alone counts too
    assert "HP and MP are full" in (await client.command("heal"))["plain"]
    await client.close()


async def test_blacksmith_spends_exp(game_server):
    """GAME.md §2: at weapon level w an attempt needs 10·w exp and is refused below that; a success
    costs 10·w, raises w and makes attack 10 + level + w; a failure costs 10 exp and nothing else."""
    client, cid = await _player(game_server)
    await _walk(client, "enhance")
    assert "Bring me 10 exp" in (await client.command("2"))["plain"]  # a new character: w 1, no exp
    # w 999: a chance of 25·1009 / 1.1^1009 % (about 4e-38 %), a certain failure
    await state_set(client, cid, weapon_level=999, attack=10 + 1 + 999, exp=9_989, hp=50)
    assert "Bring me 9990 exp" in (await client.command("2"))["plain"]
    assert (await character_state_get(cid))["exp"] == 9_989
    await state_set(client, cid, exp=9_990)
    out = await client.command("2")
    assert "Enhancement failed... (-10 exp" in out["plain"]
    status = await client.status()
    assert (status["exp"], status["weapon_level"], status["attack"], status["hp"]) == (9_980, 999, 1010, 50)
    # w 1,000 is the top of GAME.md §3's range: refused whatever the exp, nothing spent
    await state_set(client, cid, weapon_level=1000, attack=10 + 1 + 1000, exp=50_000)
    assert "Weapon level 1000! No hammer" in (await client.command("2"))["plain"]
    assert (await character_state_get(cid))["exp"] == 50_000
    # w 2: a 95.6 % chance, and unlike at w 1 a success (20 exp) and a failure (10) cost differently
    exp, weapon = 1_000, 2
    await state_set(client, cid, weapon_level=weapon, attack=10 + 1 + weapon, exp=exp)
    while weapon == 2:
        out = await client.command("2")
        status = await client.status()
        if "succeeded" in out["plain"]:
            assert "Weapon level 3 (-20 exp)" in out["plain"]
            exp, weapon = exp - 20, 3
        else:
            assert "failed... (-10 exp" in out["plain"]
            exp -= 10
        assert (status["exp"], status["weapon_level"], status["attack"]) == (exp, weapon, 10 + 1 + weapon)
        assert exp >= 1_000 - 10 * 10, "ten failures in a row at a 95.6 % chance"
    await client.close()


async def test_dice_for_fun_and_for_a_stake(game_server):
    client, cid = await _player(game_server)
    await _walk(client, "gamble")
    out = await client.command("2")
    assert out["plain"].count("Round") == 5 and "No stake" in out["plain"]
    assert "at least 10 exp" in (await client.command("2 1"))["plain"]
    await state_set(client, cid, exp=100)
    assert "at most 10 exp" in (await client.command("2 11"))["plain"]
    assert "whole number" in (await client.command("2 abc"))["plain"]
    out = await client.command("2 10")
    status = await client.status()
    if "You win 10 exp" in out["plain"]:
        assert status["exp"] == 110
    else:
        assert "You lose 10 exp" in out["plain"] and status["exp"] == 90
    await client.close()


async def test_story_shows_milestones_reached_and_records(game_server):
    client, cid = await _player(game_server)
    await _walk(client, "story")
    out = await client.command("2")
    assert "Lv.1" in out["plain"] and "Lv.10" not in out["plain"]
    assert "Monsters defeated: 0" in out["plain"]
    await _set(cid, level=20, kills=7, arena_wins=2)
    out = await client.command("2")
    assert "Lv.10" in out["plain"] and "Lv.20" in out["plain"] and "Lv.30" not in out["plain"]
    assert "Monsters defeated: 7" in out["plain"] and "2 wins" in out["plain"]
    await client.close()


async def test_npc_talk_uses_the_npc_lines(game_server):
    client, _cid = await _player(game_server)
    await _walk(client, "gamble")
    lines = {"Dice never lie.", "Fancy a game? Just for fun is fine too."}
    out = await client.command("1")
    assert out["plain"].startswith("Etna: ")  # the NPC's name in the player's language
    said = out["plain"].removeprefix("Etna: ")
    assert said in lines or said.startswith(("See whether today is your lucky day", "Will you win today"))
    await client.close()


async def test_two_players_act_at_once(game_server):
    (a, a_id), (b, b_id) = await asyncio.gather(_player(game_server), _player(game_server))
    await asyncio.gather(_set(a_id, hp=1), _set(b_id, exp=1000))
    for step in ["v"]:
        await asyncio.gather(a.command(step), b.command(step))
    outs = await asyncio.gather(a.command("2"), b.command("3"))
    assert [o["scene"] for o in outs] == ["heal", "enhance"]
    outs = await asyncio.gather(a.command("2"), b.command("2"))
    assert "HP and MP are full" in outs[0]["plain"]
    assert "Enhancement" in outs[1]["plain"]
    a_state, b_state = await character_state_get(a_id), await character_state_get(b_id)
    assert a_state["hp"] == 100 and a_state["exp"] == 0
    assert b_state["hp"] == 100 and b_state["exp"] == 990
    await a.close()
    await b.close()
