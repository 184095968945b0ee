"""Pages in Debian's headless chromium, driven by Playwright (no browser is downloaded)."""

import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def open_page(game_server):
    """Opens the game's page in a browser context of its own: `open_page(locale=..., **context options)`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)

        def opened(locale: str = "en-US", **options):
            page = browser.new_context(locale=locale, **options).new_page()
            page.goto(game_server + "/")
            return page

        yield opened
        browser.close()


@pytest.fixture
def page(open_page):
    return open_page()
