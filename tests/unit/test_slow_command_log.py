"""An overloaded web process logs at most one slow-command line a second, and says how many it left out."""

from unittest import mock

from structlog.testing import capture_logs

from mudserver import consumers


def test_slow_commands_in_one_second_make_one_line_and_the_next_counts_the_rest():
    clock = iter([100.0, 100.1, 100.2, 100.9, 101.05, 101.5])
    slow = consumers.SlowCommandLog()
    with mock.patch.object(consumers.time, "monotonic", side_effect=lambda: next(clock)), capture_logs() as logs:
        for ms in (300, 400, 500, 600, 700, 800):
            slow.note("command", ms / 1000)
    lines = [entry for entry in logs if entry["event"] == "slow command"]
    # 100.0 is logged; 100.1, 100.2 and 100.9 fall within its second; 101.05 is logged with those
    # three; 101.5 falls within that one's second.
    assert [(line["ms"], line["unlogged"]) for line in lines] == [(300, 0), (700, 3)]
    assert slow.unlogged == 1
