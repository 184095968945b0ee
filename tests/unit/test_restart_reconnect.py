"""The load test waits as the page does after a restart's close (4012) before reconnecting."""

import re
from pathlib import Path

from mudserver.management.commands import loadtest

TERMINAL_JS = Path(__file__).resolve().parents[2] / "mudserver/static/mudserver/terminal.js"


def test_the_load_test_reconnects_after_a_restart_as_the_page_does():
    found = re.search(r"var RESTART_RECONNECT_MS = \[(\d+), (\d+)\];", TERMINAL_JS.read_text())
    assert found, "terminal.js names its restart window"
    page_ms = tuple(int(ms) for ms in found.groups())
    assert tuple(round(seconds * 1000) for seconds in loadtest.RESTART_RECONNECT_S) == page_ms
    assert 0 < page_ms[0] < page_ms[1] <= 6000  # within the 10 s a moved player has to be back


def test_only_the_fights_own_moves_are_not_counted_as_lost():
    assert loadtest._moved_by_fight("story", "heal")  # the chain went on and the character died
    assert loadtest._moved_by_fight("manual_battle", "encounter")  # a kill, then the next monster
    assert not loadtest._moved_by_fight("village", "auto_battle")
    assert not loadtest._moved_by_fight("encounter", "manual_battle")
