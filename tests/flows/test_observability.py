"""Operating the game (README, "Operating it"): /healthz, the metrics of daphne and of the worker, and
the command id on every log line a command causes, across processes."""

import asyncio
import io
import json
import logging
import re
import socket
import time
import urllib.error
import urllib.request

import pytest
import structlog
from channels.sessions import CookieMiddleware
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from mudserver import consumers
from mudserver.logs import formatter
from tests.client import connected

pytestmark = pytest.mark.usefixtures("live_db")

COMMAND_ID = re.compile(r"^[0-9a-f]{12}$")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _sample(body: str, name: str, **labels) -> float | None:
    """The value of the sample `name` whose labels include `labels`, if it is there."""
    for line in body.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name:
            found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
            if labels.items() <= found.items():
                return float(match[3])
    return None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- /healthz


def test_healthz_is_200_when_everything_answers(game_server):
    status, body = _get(game_server + "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok", "redis": "ok", "broker": "ok"}


def test_healthz_is_503_when_redis_is_unreachable(client):
    started = time.monotonic()
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = client.get("/healthz")
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "error" and "ConnectionError" in report["redis"]
    assert report["database"] == report["broker"] == "ok"


# --- metrics


def _samples(body: str, *series: tuple) -> list[float]:
    """The values of (name, labels) series, 0 for one not yet there (a labelled series appears at its first use)."""
    return [_sample(body, name, **labels) or 0 for name, labels in series]


WEB_SERIES = (
    ("mud_commands_total", {"scene": "front"}),
    ("mud_command_seconds_count", {"scene": "front"}),
    ("mud_command_seconds_bucket", {"scene": "front", "le": "5.0"}),
    ("mud_commands_total", {"scene": "chat"}),
    ("mud_chat_messages_total", {}),
    ("mud_websocket_connections", {}),
    ("mud_connected_players", {}),
)


async def _web_samples(game_server: str) -> list[float]:
    status, body = await asyncio.to_thread(_get, game_server + "/metrics")
    assert status == 200
    for queue in ("celery", "battles"):
        assert _sample(body, "mud_celery_queue_depth", queue=queue) is not None
    return _samples(body, *WEB_SERIES)


async def _quiet_web_samples(game_server: str) -> list[float]:
    """The web process's samples once they stay still (an earlier test's goodbyes may be on their way)."""
    deadline = time.monotonic() + 10
    last = await _web_samples(game_server)
    while True:
        await asyncio.sleep(0.3)
        if (now := await _web_samples(game_server)) == last:
            return now
        assert time.monotonic() < deadline, f"the web process never went quiet: {last}, then {now}"
        last = now


async def test_metrics_of_a_web_process(game_server):
    """Each series moves by exactly what this test does: the server may have served earlier tests."""
    before = await _quiet_web_samples(game_server)
    client = await connected(game_server)
    for line in ("help", "help", "no such command"):
        await client.command(line)
    name = await client.sign_up()  # its first line, "up", is typed on the title screen too
    await client.next("chat_presence")
    await client.send({"type": "chat", "text": "counted"})
    await client.until(lambda frame: frame["from"] == name, kind="chat")
    during = await _web_samples(game_server)
    # 4 commands on the title screen, each within 5 s; 1 chat frame and message; 1 socket, 1 signed in
    assert [now - then for now, then in zip(during, before, strict=True)] == [4, 4, 4, 1, 1, 1, 1]
    await client.close()
    deadline = time.monotonic() + 5
    while (after := await _web_samples(game_server))[-2:] != before[-2:]:  # the gauges go back down
        assert time.monotonic() < deadline, f"still counted after the close: {after} (before: {before})"
        await asyncio.sleep(0.1)


WORKER_SERIES = (
    ("mud_battle_cycles_total", {}),
    ("mud_battle_cycle_lag_seconds_count", {}),
    ("mud_celery_tasks_total", {"task": "battles.tasks.battles_advance", "state": "SUCCESS"}),
    ("mud_celery_task_seconds_count", {"task": "battles.tasks.battles_dispatch"}),
)


async def test_metrics_and_logs_of_the_worker(game_server, celery_worker):
    """An auto-battle's cycles show in the worker's metrics (summed over its pool children), and its
    log lines are JSON carrying the command id that came with each task."""
    from accounts.models import Character
    from battles.services import battle_get

    url = f"http://127.0.0.1:{celery_worker.metrics_port}/metrics"
    status, body = await asyncio.to_thread(_get, url)
    assert status == 200
    before = _samples(body, *WORKER_SERIES)
    client = await connected(game_server)
    character_id = (await Character.objects.aget(name=await client.sign_up())).pk
    await client.command("d")
    await client.command("enter 1")
    await client.command("a")
    started = int((await asyncio.to_thread(battle_get, character_id)).battle["v"])
    # Each cycle of this battle is one advance task handed out by one dispatch, and bumps the
    # battle's version once; other battles (of earlier tests) may add to the counters, never take away.
    deadline = time.monotonic() + 20
    while (cycles := int((await asyncio.to_thread(battle_get, character_id)).battle["v"]) - started) < 3:
        assert time.monotonic() < deadline, f"only {cycles} cycles in 20 s"
        await asyncio.sleep(0.2)
    await client.until(lambda frame: frame["scene"] == "auto_battle")  # a cycle's feed, pushed by the worker
    await client.ask("s", "stop fighting")
    await client.close()
    deadline = time.monotonic() + 15  # a task's counters move after its write, when it ends
    while True:
        status, body = await asyncio.to_thread(_get, url)
        increase = [now - then for now, then in zip(_samples(body, *WORKER_SERIES), before, strict=True)]
        if all(step >= cycles for step in increase):
            break
        assert time.monotonic() < deadline, f"{cycles} cycles ran, the counters rose by {increase}"
        await asyncio.sleep(0.5)

    # Every start's log: a cycle handed out before a test killed the worker is redelivered to the next one.
    logs = sorted(celery_worker.log_dir.glob("worker-*.log"))
    lines = [json.loads(line) for log in logs for line in log.read_text().splitlines() if line.startswith("{")]
    done = [line for line in lines if line.get("task") and "succeeded" in line["event"]]
    # A cycle may end before the dispatch that handed it out has logged its own end: any line of a dispatch names it.
    dispatch_ids = {line["command_id"] for line in lines if line.get("task") == "battles.tasks.battles_dispatch"}
    advanced = [line for line in done if line["task"] == "battles.tasks.battles_advance"]
    assert all(COMMAND_ID.match(line["command_id"]) and line["task_id"] for line in done)
    # beat gives each dispatch a fresh id; the cycles a dispatch hands out carry it in their headers. A worker
    # that a test killed after a dispatch had handed out its cycles, but before that dispatch logged its end,
    # leaves cycles (run, redelivered, by the next start) whose dispatch is in no log: at most one dispatch
    # per pool process (2) per kill. Cycles that carried any other id would leave hundreds unmatched.
    orphaned = {line["command_id"] for line in advanced} - dispatch_ids
    assert len(dispatch_ids) > 1 and advanced and len(orphaned) <= 2 * (len(logs) - 1), orphaned


# --- the command id in logs


@pytest.fixture
def json_lines():
    """What the root logger writes while the test runs, as parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


async def test_every_line_logged_during_a_command_carries_its_id(monkeypatch, json_lines):
    async def failing_route(ctx, line):
        structlog.get_logger("game").warning("from structlog")
        logging.getLogger("django.thing").warning("from the standard library")
        raise RuntimeError("a bug")

    monkeypatch.setattr(consumers, "route_line", failing_route)
    socket_ = WebsocketCommunicator(CookieMiddleware(consumers.GameConsumer.as_asgi()), "/ws/game/")
    connected_, _code = await socket_.connect()
    assert connected_
    await socket_.receive_json_from()  # the title
    await socket_.receive_json_from()  # the status
    await socket_.send_json_to({"type": "command", "line": "secret-password"})
    assert (await socket_.receive_json_from())["code"] == "internal"
    await socket_.disconnect()
    structlog.get_logger("game").warning("after the command")

    lines = {line["event"]: line for line in json_lines()}
    during = [lines["from structlog"], lines["from the standard library"], lines["command failed"]]
    assert COMMAND_ID.match(during[0]["command_id"])
    assert all(line["command_id"] == during[0]["command_id"] and line["scene"] == "front" for line in during)
    failed = lines["command failed"]
    assert failed["type"] == "command" and "RuntimeError: a bug" in failed["exception"]
    assert "secret-password" not in json.dumps(list(lines.values()))
    assert "command_id" not in lines["after the command"]
    assert all({"timestamp", "level", "logger", "event"} <= line.keys() for line in lines.values())
