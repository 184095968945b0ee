"""The output frame's `commands` (PROTOCOL.md, issue 17 item 6) over a real WebSocket: sent with the
first output of a scene, left out while it is unchanged, in the player's language, and every word
in it is one the scene accepts."""

import pytest

from tests.client import SCENE_PATHS, Client, connected, unique

pytestmark = pytest.mark.usefixtures("live_db")

# The scene's "unknown command" reply, as the catalogues word it.
UNKNOWN = {"en": "Unknown command '{}'", "ko": "알 수 없는 명령어입니다: '{}'"}


async def test_commands_come_with_a_scenes_first_output_and_are_left_out_while_unchanged(game_server):
    client = await Client.connect(game_server)
    welcome = await client.welcome()
    assert {"in", "up", "help", "who"} <= set(welcome["commands"]), welcome
    assert "로그인" not in welcome["commands"]
    assert "commands" not in await client.command("help")
    assert "commands" not in await client.command("nonsense")
    await client.sign_up()  # the sign-up's prompts change the list, and the front's comes back
    village = await client.command("v")
    assert village["scene"] == "village" and {"list", "back", "help", "status"} <= set(village["commands"])
    assert "up" not in village["commands"]
    assert "commands" not in await client.command("list")
    assert "commands" not in await client.command("who")
    korean = await client.command("lang ko")  # the same scene in another language is another list
    assert {"목록", "돌아가기", "도움말", "상태"} <= set(korean["commands"]) and "list" not in korean["commands"]
    assert "commands" not in await client.command("목록")
    assert "commands" not in await client.command("xyzzy")  # refused: still the village
    front = await client.command("돌아가기")
    assert front["scene"] == "front" and {"던전", "마을"} <= set(front["commands"])
    await client.close()


async def _to(client, scene: str) -> None:
    for step in SCENE_PATHS[scene]:
        await client.command(step.format(room=unique("r")))


@pytest.mark.parametrize(
    ("scene", "lang"),
    [("front", "en"), ("front", "ko"), ("village", "en"), ("village", "ko"), ("dungeon", "en"), ("arena_lobby", "en")],
)
async def test_every_listed_command_is_one_the_scene_accepts(game_server, scene, lang):
    client = await connected(game_server, lang=lang)
    username = await client.sign_up()
    await _to(client, scene)
    listed = await client.command("help")
    if "commands" not in listed:  # the path's last step brought the list already: ask for it anew
        await client.command("lang " + ("en" if lang == "ko" else "ko"))
        listed = await client.command("lang " + lang)
    assert listed["scene"] == scene
    words = listed["commands"]
    assert words
    for word in words:
        out = await client.command(word)
        assert UNKNOWN[lang].format(word) not in out["plain"], (scene, word, out["plain"])
        if out["input"] == "password":  # a password prompt (delete, password): an empty line cancels
            out = await client.command("")
        if out["scene"] != scene:  # the command moved the player, or signed them out: back again
            if await client.bar_now() is None:
                await client.sign_in(username)
            await client.command("g home")
            await _to(client, scene)
    await client.close()
