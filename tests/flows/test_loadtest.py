"""The load test (manage.py loadtest): virtual players play the original's random scenario over
the WebSocket against a real server, and the report says what issue 7 asks for."""

import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")


def test_the_load_test_plays_and_reports(game_server, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("loadtest", users=4, duration=8, ramp=1, url=game_server, seeded=0)
    printed = capsys.readouterr().out
    report = json.loads(next(tmp_path.glob("loadtest-4-*.json")).read_text())
    assert report["connect_failures"] == 0 and report["not_signed_in"] == 0
    assert report["tried_by_kind"]["signup"] == 4 * 4  # sign up, username, password, character name
    assert report["tried"] > 4 * 4, "each player went on to play"
    assert report["completed"] >= 0.95 * report["tried"]
    for figures in ("response_ms", "steady_response_ms", "signin_response_ms", "ramp_game_response_ms"):
        assert set(report[figures]) == {"p50", "p95", "p99", "max"}
    assert report["frames_per_second"]["output"] > 0 and report["windows"]
    assert (tmp_path / report["png"].rsplit("/", 1)[1]).stat().st_size > 0
    assert "success" in printed and "game during the ramp" in printed
