"""`help <topic>` over a real WebSocket (issue 17): the rule and the player's own numbers, in both
languages; `help` alone ends with the topics."""

import re

import pytest

from accounts.character_state import character_state_mutate
from accounts.models import Character
from tests.client import SCENE_PATHS, connected

pytestmark = pytest.mark.usefixtures("live_db")

TOPICS = {
    "en": ["enhance", "dice", "skills", "arena", "auto", "levels", "dungeons", "retreat"],
    "ko": ["강화", "주사위", "스킬", "시련의장", "자동", "레벨", "던전", "후퇴"],
}


async def _player(game_server, lang: str):
    client = await connected(game_server)
    name = await client.sign_up()
    if lang == "ko":
        await client.command("lang ko")
    return client, (await Character.objects.aget(name=name)).pk


def _lists_the_topics(text: str, lang: str) -> bool:
    return all(topic in text for topic in TOPICS[lang])


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_help_enhance_shows_the_chance_at_the_players_weapon_level(game_server, lang):
    client, cid = await _player(game_server, lang)
    await character_state_mutate(cid, lambda state: ({"weapon_level": 10, "attack": 21, "exp": 345}, None))
    for step in SCENE_PATHS["village"]:
        await client.command(step)
    out = await client.command("help enhance" if lang == "en" else "help 강화")
    assert out["scene"] == "village"
    # 25·(10+10) / 1.1^20 = 74.32 % at 100 exp an attempt; the next level's: 25·21 / 1.1^21 = 70.94 % at 110
    own = "+10: 74.32% chance, 100 exp" if lang == "en" else "+10: 확률 74.32%, 시도마다 경험치 100"
    after = "+11: 70.94% chance, 110 exp" if lang == "en" else "+11: 확률 70.94%, 시도마다 경험치 110"
    assert own in out["plain"] and after in out["plain"] and "345" in out["plain"], out["plain"]
    await client.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_help_auto_in_a_dungeon_gives_an_average_exp_per_hour_there(game_server, lang):
    client, _cid = await _player(game_server, lang)
    for step in SCENE_PATHS["auto_battle"]:
        await client.command(step)
    dungeon, per_hour = (
        ("Alby Dungeon", r"about (\d+) exp per hour") if lang == "en" else ("알비 던전", r"시간당 약 (\d+)")
    )
    out = await client.ask("HELP AUTO" if lang == "en" else "help 자동", dungeon)
    assert dungeon in out["plain"], out["plain"]
    assert int(re.search(per_hour, out["plain"]).group(1)) > 0
    await client.command("s")
    await client.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_help_ends_with_the_topics_and_an_unknown_topic_lists_them(game_server, lang):
    client, _cid = await _player(game_server, lang)
    for step in SCENE_PATHS["gamble"]:
        await client.command(step)
    out = await client.command("help")
    last = out["plain"].strip().splitlines()[-1]
    assert _lists_the_topics(last, lang), out["plain"]
    out = await client.command("help flying")
    assert out["scene"] == "gamble"
    assert "'flying'" in out["plain"] and _lists_the_topics(out["plain"], lang), out["plain"]
    await client.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_signed_out_help_explains_the_rule_without_own_numbers(game_server, lang):
    client = await connected(game_server, lang=lang)
    out = await client.command("help 주사위" if lang == "ko" else "help Dice")
    assert "34.66%" in out["plain"], out["plain"]  # (10·5³·7² + 5·5⁴·7 + 5⁵) / 12⁵ of games are won
    assert ("Sign in to see your own numbers" if lang == "en" else "로그인하면") in out["plain"]
    await client.close()


async def test_a_topic_with_a_space_and_the_arena_reward_in_korean(game_server):
    client, _cid = await _player(game_server, "ko")
    out = await client.command("help 시련의 장")
    assert "시련의 장 (아레나)" in out["plain"], out["plain"]
    assert "레벨 1 팀을 이기면 경험치 50을" in out["plain"]  # 50 × the losers' average level, 1
    await client.close()
