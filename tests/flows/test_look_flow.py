"""`look <name>` (issue 17, item 3) over a real daphne: another character's public card — level,
weapon, record, arena rating — and where an online player is (the village, which dungeon, the
arena), from the hot state when there is one, else from the database; nothing private."""

import pytest

from accounts.character_state import character_state_mutate
from accounts.models import Character, User
from battles.models import Dungeon
from tests.client import connected, unique

pytestmark = pytest.mark.usefixtures("live_db")

CARD = {
    "level": 7,
    "weapon_level": 4,
    "kills": 123,
    "deaths": 9,
    "arena_wins": 11,
    "arena_losses": 6,
    "arena_rating": 1087,
}
PRIVATE = {"exp": 4321, "hp": 77, "mp": 55}


def _card_lines(name: str, numbers: dict) -> list[str]:
    """The card as the issue describes it, in English."""
    return [
        f"{name}  Lv. {numbers['level']}  Weapon +{numbers['weapon_level']}",
        f"Kills {numbers['kills']}   Deaths {numbers['deaths']}",
        f"Arena: {numbers['arena_wins']} wins, {numbers['arena_losses']} losses, rating {numbers['arena_rating']}",
    ]


async def _looked_at(game_server, lines: list[str]):
    """A signed-in player who walked `lines` from the main menu, with the card's numbers in their hot state."""
    client = await connected(game_server)
    name = await client.sign_up()
    character = await Character.objects.aget(name=name)
    await character_state_mutate(character.pk, lambda _state: ({**CARD, **PRIVATE}, None))
    for line in lines:
        await client.command(line)
    return client, name


@pytest.mark.parametrize(
    ("lines", "number"), [(["d", "enter 2", "n"], 2), (["d", "enter 3"], 3)], ids=["fighting", "at-the-gate"]
)
async def test_look_at_a_player_in_a_dungeon(game_server, lines, number):
    target, name = await _looked_at(game_server, lines)
    dungeon = await Dungeon.objects.aget(number=number)
    viewer = await connected(game_server)
    await viewer.sign_up()
    await viewer.command("v")
    out = await viewer.command(f"look {name.upper()}")  # English names are found whatever their case
    assert out["scene"] == "village"
    for line in _card_lines(name, CARD):
        assert line in out["plain"], (line, out["plain"])
    assert f"Now: in dungeon {number}, {dungeon.name_en}" in out["plain"]
    rest = out["plain"].replace(name, "")  # a generated name may hold any digits
    assert not any(str(value) in rest for value in PRIVATE.values()) and "HP" not in rest
    await viewer.close()
    await target.close()


async def test_look_at_players_in_the_village_and_the_arena(game_server):
    in_village, village_name = await _looked_at(game_server, ["v", "2"])
    in_arena, arena_name = await _looked_at(game_server, ["v", "5", "2"])
    viewer = await connected(game_server)
    await viewer.sign_up()
    assert "Now: in the village" in (await viewer.command(f"look {village_name}"))["plain"]
    assert "Now: in the arena" in (await viewer.command(f"보기 {arena_name}"))["plain"]  # the Korean alias
    for client in (viewer, in_village, in_arena):
        await client.close()


async def test_look_at_an_offline_character_reads_the_database(game_server):
    name = unique("off")
    numbers = {**CARD, "level": 31, "kills": 4567, "arena_rating": 1211}
    await Character.objects.acreate(user=await User.objects.acreate(username=name), name=name, **numbers, exp=98765)
    viewer = await connected(game_server)
    await viewer.sign_up()
    out = await viewer.command(f"look {name}")
    for line in _card_lines(name, numbers):
        assert line in out["plain"], (line, out["plain"])
    assert "Now: offline" in out["plain"] and "98765" not in out["plain"].replace(name, "")
    await viewer.close()


async def test_look_needs_a_known_name(game_server):
    viewer = await connected(game_server)
    await viewer.sign_up()
    out = await viewer.command("look nobody" + unique("x"))
    assert out["scene"] == "front" and "There is no character named" in out["plain"]
    out = await viewer.command("look")
    assert "Usage: look <character name>" in out["plain"]
    out = await viewer.command("look \u3164\u200b")  # nothing visible: as nothing typed, nothing echoed back
    assert "Usage: look <character name>" in out["plain"] and "\u3164" not in out["text"]
    await viewer.close()
