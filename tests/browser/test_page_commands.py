"""The page's command aids and phone layout (issue 17 item 6): Tab completes the scene's commands,
a bracketed option sends itself when clicked, and at 390 × 844 nothing overflows, in both languages."""

import shutil
from pathlib import Path

import pytest

from tests.browser.test_terminal_page import _type
from tests.client import unique

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("live_db"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var"


def _front(page) -> None:
    page.wait_for_function("() => window.mud.state().connected && window.mud.state().scene === 'front'")


def test_tab_completes_the_scenes_commands_and_cycles_through_the_matches(page):
    _front(page)
    commands = page.evaluate("window.mud.state().commands")
    matches = [word for word in commands if word.startswith("d")]
    assert len(matches) >= 2, commands  # dungeon, d, delete on the title screen
    command = page.locator("#command")
    command.fill("d")
    for expected in [*matches, matches[0]]:  # round and back to the first
        command.press("Tab")
        assert command.input_value() == expected
        assert page.evaluate("document.activeElement.id") == "command"
    command.fill("u")
    command.press("Tab")
    assert command.input_value() == "up"
    command.fill("zq")  # nothing starts so: left as typed, the focus stays
    command.press("Tab")
    assert command.input_value() == "zq" and page.evaluate("document.activeElement.id") == "command"
    command.press("Enter")  # what Tab completed is what goes
    command.fill("u")
    command.press("Tab")
    command.press("Enter")
    page.wait_for_function("() => window.mud.state().scene === 'signup_username'")


def test_clicking_an_option_sends_it(page):
    _front(page)
    page.locator("#output button.option", has_text="[UP]").last.click()
    page.wait_for_function("() => window.mud.state().scene === 'signup_username'")
    assert "> up" in page.locator("#output").inner_text()
    assert page.evaluate("document.activeElement.id") == "command"
    # An option keeps the colour of the markup around it, and the text around it stays text.
    assert page.locator("#output span.c-y button.option").count() > 0
    assert page.locator("#output b, #output script").count() == 0


@pytest.mark.parametrize(("locale", "lang", "village_word"), [("en-US", "en", "village"), ("ko-KR", "ko", "마을")])
def test_on_a_phone_the_terminal_chat_and_input_fit_the_screen(open_page, locale, lang, village_word):
    page = open_page(locale=locale, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    _front(page)
    assert page.evaluate("window.mud.state().lang") == lang
    name = unique("phone")
    for line, scene in (("up", "signup_username"), (name, "signup_password"), ("abc123", "character_name")):
        _type(page, line, scene)
    _type(page, name, "front")
    _type(page, village_word, "village")
    page.locator("#output button.option").last.tap()  # the village's [B]ack, tapped
    page.wait_for_function("() => window.mud.state().scene === 'front'")
    page.wait_for_function("() => document.querySelector('#chat-channel').textContent.startsWith('global-')")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"page-phone-{lang}.png"))
    fit = page.evaluate(
        """() => {
            const inside = (id) => {
                const box = document.getElementById(id).getBoundingClientRect();
                return box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth
                    && box.height > 0;
            };
            return {
                scrollWidth: document.documentElement.scrollWidth, innerWidth,
                command: inside('command'), chat: inside('chat'), chatInput: inside('chat-input'),
                output: inside('output'), terminalAboveChat: document.getElementById('terminal')
                    .getBoundingClientRect().bottom <= document.getElementById('chat').getBoundingClientRect().top,
            };
        }"""
    )
    assert fit["scrollWidth"] <= fit["innerWidth"], fit
    assert fit["command"] and fit["chat"] and fit["chatInput"] and fit["output"] and fit["terminalAboveChat"], fit
