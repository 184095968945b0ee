"""The web page in Debian's headless chromium, driven by Playwright (no browser is downloaded)."""

import shutil

import pytest

from tests.client import unique

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("live_db"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def page(game_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.goto(game_server + "/")
        yield page
        browser.close()


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
    page.wait_for_function("() => document.querySelector('#output').innerText.includes('no wounds')")
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
    for line, scene in (("up", "signup_username"), (name, "signup_password"), ("abc123", "character_name"), (name, "front")):
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
