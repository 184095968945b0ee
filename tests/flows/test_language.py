"""Korean and English: the browser's language by default, `lang ko|en` to switch, kept on reload."""

import json

import pytest
import websockets

from mudserver.markup import strip
from tests.client import Client, connected, session_cookie

pytestmark = pytest.mark.usefixtures("live_db")


async def test_lang_switches_and_is_remembered_by_the_session(game_server):
    cookie = session_cookie(game_server)
    client = await connected(game_server, cookie=cookie, lang="en")
    out = await client.command("lang ko")
    assert out["plain"] == "언어: 한국어"
    out = await client.command("help")
    assert "도움말" in out["plain"] and "Commands here" not in out["plain"]
    out = await client.command("zzz")
    assert "zzz" in out["plain"] and "[H]elp" in out["plain"]
    # Chosen before signing in (the connection keeps it), stored in the session at sign-up.
    username = await client.sign_up()
    await client.close()
    again = await Client.connect(game_server, cookie=cookie, lang="en")  # the session's choice wins
    out = await again.welcome()
    assert f"다시 오신 것을 환영합니다, {username}님." in out["plain"]
    assert (await again.command("lang en"))["plain"] == "Language: English"
    assert (await again.command("lang fr"))["plain"] == "Usage: lang ko (Korean) or lang en (English)"
    await again.close()
    # A choice made while signed in is kept too.
    resumed = await Client.connect(game_server, cookie=cookie, lang="ko")
    assert f"Welcome back, {username}." in (await resumed.welcome())["plain"]
    await resumed.close()


async def test_default_follows_accept_language(game_server):
    url = game_server.replace("http", "ws", 1) + "/ws/game/"
    for header, expected in (("en-US,en;q=0.9", "Welcome, traveller"), ("ko-KR,ko;q=0.9", "환영")):
        async with websockets.connect(url, additional_headers={"Accept-Language": header}) as ws:
            frame = json.loads(await ws.recv())
            assert expected in strip(frame["text"])
