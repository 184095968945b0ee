"""The web page in Debian's headless chromium, driven by Playwright (no browser is downloaded)."""

import shutil

import pytest

from tests.client import unique

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("live_db"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]


def _type(page, line: str, scene: str) -> None:
    page.locator("#command").fill(line)
    page.locator("#command").press("Enter")
    page.wait_for_function("s => window.mud.state().scene === s", arg=scene, timeout=10_000)


def test_sign_up_visit_the_healer_reload_and_land_back_in_the_village(page):
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'front'")
    assert "[IN]" in page.locator("#output").inner_text()
    name = unique("web")
    _type(page, "up", "signup_username")
    _type(page, name, "signup_password")
    assert page.locator("#command").get_attribute("type") == "password"
    _type(page, "abc123", "character_name")
    assert page.locator("#command").get_attribute("type") == "text"
    assert "******" in page.locator("#output").inner_text() and "abc123" not in page.locator("#output").inner_text()
    _type(page, name, "front")
    page.wait_for_function("n => document.querySelector('#status-name').textContent.includes(n)", arg=name)
    assert "HP 100/100" in page.locator("#bar-hp").inner_text()
    _type(page, "v", "village")
    _type(page, "2", "heal")
    _type(page, "2", "heal")
    page.wait_for_function("() => document.querySelector('#output').innerText.includes('You look perfectly well')")
    _type(page, "3", "village")

    page.reload()
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'village'")
    assert f"Welcome back, {name}" in page.locator("#output").inner_text()
    page.wait_for_function("n => document.querySelector('#status-name').textContent.includes(n)", arg=name)


def test_markup_is_coloured_and_typed_html_stays_text(page):
    page.wait_for_function("() => window.mud.state().scene === 'front'")
    _type(page, "<b>bold</b>|r", "front")
    page.wait_for_function("() => document.querySelector('#output').innerText.includes('Unknown command')")
    assert page.locator("#output b").count() == 0
    assert "<b>bold</b>|r" in page.locator("#output").inner_text()
    assert page.locator("#output span.c-y").count() > 0  # the title screen's [IN]/[UP]


def test_chat_pane_shows_channel_members_messages_and_whispers(page, game_server):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from tests.client import connected

    page.wait_for_function("() => window.mud.state().scene === 'front'")
    name = unique("webchat")
    for line, scene in (
        ("up", "signup_username"),
        (name, "signup_password"),
        ("abc123", "character_name"),
        (name, "front"),
    ):
        _type(page, line, scene)
    page.wait_for_function("() => document.querySelector('#chat-channel').textContent.startsWith('global-')")
    assert "/10" in page.locator("#chat-count").inner_text()
    page.locator("#chat-input").fill("<b>hello</b> |r")
    page.locator("#chat-input").press("Enter")
    page.wait_for_function("() => document.querySelector('#chat-log').innerText.includes('<b>hello</b> |r')")
    assert page.locator("#chat-log b").count() == 0

    async def whisper():
        other = await connected(game_server)
        await other.sign_up()
        await other.send({"type": "chat", "text": f"/w {name} psst"})
        await other.next("chat")
        await other.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        pool.submit(asyncio.run, whisper()).result(timeout=30)
    page.wait_for_function("() => document.querySelector('#chat-log .whisper') !== null")
    assert "psst" in page.locator("#chat-log .whisper").inner_text()


def _visit_and_leave(game_server) -> str:
    """Another player signs up (joining the page's chat channel, the lowest with room) and signs out."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from tests.client import connected

    async def visit():
        other = await connected(game_server)
        name = await other.sign_up()
        await other.command("g out")
        await other.close()
        return name

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, visit()).result(timeout=30)


def test_the_page_strings_follow_lang(page, game_server):
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'front'")

    def shown() -> dict:
        return page.evaluate("""() => ({
            command: document.querySelector('#command').placeholder,
            chat: document.querySelector('#chat-input').placeholder,
            send: document.querySelector('#send').textContent,
            conn: document.querySelector('#conn').textContent,
            label: document.querySelector('#chat-label').textContent,
            name: document.querySelector('#status-name').textContent,
        })""")

    english = {
        "command": "Type a command",
        "chat": "Chat (whisper: /w name text)",
        "send": "Send",
        "conn": "connected",
        "label": "Chat",
        "name": "Please sign in",
    }
    korean = {
        "command": "명령어를 입력하세요",
        "chat": "채팅 (귓속말: /w 이름 내용)",
        "send": "보내기",
        "conn": "연결됨",
        "label": "채팅",
        "name": "로그인해주세요",
    }
    assert shown() == english
    _type(page, "lang ko", "front")
    page.wait_for_function("() => window.mud.state().lang === 'ko'")
    assert shown() == korean
    assert page.evaluate("document.documentElement.lang") == "ko"

    name = unique("weblang")
    for line, scene in (
        ("up", "signup_username"),
        (name, "signup_password"),
        ("abc123", "character_name"),
        (name, "front"),
    ):
        _type(page, line, scene)
    page.wait_for_function("() => document.querySelector('#chat-channel').textContent.startsWith('global-')")
    assert page.locator("#status-stats").inner_text() == "공격력 10 · 방어력 10 · 무기 Lv. 1"
    other = _visit_and_leave(game_server)
    page.wait_for_function(
        "n => document.querySelector('#chat-log').innerText.includes(n + '님이 나갔습니다.')", arg=other
    )
    assert f"{other}님이 들어왔습니다." in page.locator("#chat-log").inner_text()

    _type(page, "lang en", "front")
    page.wait_for_function("() => window.mud.state().lang === 'en'")
    assert shown() | {"name": "Please sign in"} == english
    assert page.locator("#status-stats").inner_text() == "ATK 10 · DEF 10 · WPN Lv. 1"
    other = _visit_and_leave(game_server)
    page.wait_for_function("n => document.querySelector('#chat-log').innerText.includes(n + ' left.')", arg=other)
    assert f"{other} joined." in page.locator("#chat-log").inner_text()


def test_a_language_chosen_before_sign_in_survives_a_reload(page):
    """Nothing is stored on the server before sign-in: the page keeps the choice, and its session
    cookie is out of the page script's reach."""
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'front'")
    _type(page, "lang ko", "front")
    page.wait_for_function("() => window.mud.state().lang === 'ko'")
    page.reload()
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'front'")
    assert page.evaluate("window.mud.state().lang") == "ko" and "환영" in page.locator("#output").inner_text()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "mud_session"]
    assert cookie["httpOnly"] and "mud_session" not in page.evaluate("document.cookie")


def test_a_player_can_back_out_at_every_prompt(page):
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'front'")

    def cancel_with_empty_line(scene: str, said: str) -> None:
        assert page.locator("#command").get_attribute("type") == "password"
        _type(page, "", scene)
        page.wait_for_function("t => document.querySelector('#output').innerText.includes(t)", arg=said)

    name = unique("webback")
    _type(page, "up", "signup_username")
    _type(page, "g home", "front")
    _type(page, "up", "signup_username")
    _type(page, name, "signup_password")
    cancel_with_empty_line("front", "Sign-up cancelled.")
    _type(page, "up", "signup_username")
    _type(page, name, "signup_password")
    _type(page, "abc123", "character_name")
    _type(page, "g home", "front")
    # Nothing was kept: the same username signs up from the start.
    for line, scene in (
        ("up", "signup_username"),
        (name, "signup_password"),
        ("abc123", "character_name"),
        (name, "front"),
    ):
        _type(page, line, scene)
    _type(page, "delete", "delete_confirm")
    cancel_with_empty_line("front", "Nothing was deleted.")
    _type(page, "out", "front")
    _type(page, "in", "signin_username")
    _type(page, name, "signin_password")
    cancel_with_empty_line("front", "Sign-in cancelled.")


def test_after_a_restart_close_the_page_waits_within_the_restart_window_then_resumes(page):
    """A web process that restarts closes with 4012 (its own notice already shown): the page comes
    back after a random wait in RESTART_RECONNECT_MS, so that its crowd is spread over the processes
    (mudserver.consumers.drain), and says nothing of a lost connection."""
    import re
    import time

    sockets = []

    def handler(route):
        sockets.append((time.monotonic(), route))
        route.connect_to_server()

    page.route_web_socket(re.compile(r"/ws/game/"), handler)
    page.reload()
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'front'")
    closed_at = time.monotonic()
    sockets[-1][1].close(code=4012, reason="restart")
    page.wait_for_function("() => !window.mud.state().connected")
    page.wait_for_function("() => window.mud.state().connected", timeout=10_000)
    waited = sockets[-1][0] - closed_at
    assert len(sockets) == 2 and 0.5 <= waited < 5.0 + 1.0, waited  # the window, and a second for the browser
    assert "Connection lost" not in page.locator("#output").inner_text()
