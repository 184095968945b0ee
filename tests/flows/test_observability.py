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
from channels.sessions import SessionMiddlewareStack
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


async def test_metrics_of_a_web_process(game_server):
    client = await connected(game_server)
    for line in ("help", "help", "no such command"):
        await client.command(line)
    status, body = await asyncio.to_thread(_get, game_server + "/metrics")
    await client.close()
    assert status == 200
    assert _sample(body, "mud_commands_total", scene="front") >= 3
    assert _sample(body, "mud_command_seconds_count", scene="front") >= 3
    assert _sample(body, "mud_command_seconds_bucket", scene="front", le="5.0") >= 3
    assert _sample(body, "mud_websocket_connections") >= 1
    assert _sample(body, "mud_connected_players") is not None
    assert _sample(body, "mud_chat_messages_total") is not None
    for queue in ("celery", "battles"):
        assert _sample(body, "mud_celery_queue_depth", queue=queue) is not None


async def test_metrics_and_logs_of_the_worker(game_server, celery_worker):
    """An auto-battle's cycles show in the worker's metrics (summed over its pool children), and its
    log lines are JSON carrying the command id that came with each task."""
    client = await connected(game_server)
    await client.sign_up()
    await client.command("d")
    await client.command("enter 1")
    await client.command("a")
    await client.until(lambda frame: frame["scene"] == "auto_battle")  # a cycle's feed, pushed by the worker
    url = f"http://127.0.0.1:{celery_worker.metrics_port}/metrics"
    deadline = time.monotonic() + 15
    while True:
        status, body = await asyncio.to_thread(_get, url)
        if _sample(body, "mud_battle_cycles_total") or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    await client.send({"type": "command", "line": "s"})
    await client.close()
    assert status == 200
    assert _sample(body, "mud_battle_cycles_total") >= 1
    assert _sample(body, "mud_battle_cycle_lag_seconds_count") >= 1
    assert _sample(body, "mud_celery_tasks_total", task="battles.tasks.battles_advance", state="SUCCESS") >= 1
    assert _sample(body, "mud_celery_task_seconds_count", task="battles.tasks.battles_dispatch") >= 1

    lines = [json.loads(line) for line in celery_worker.log_path.read_text().splitlines() if line.startswith("{")]
    done = [line for line in lines if line.get("task") and "succeeded" in line["event"]]
    dispatch_ids = {line["command_id"] for line in done if line["task"] == "battles.tasks.battles_dispatch"}
    advanced = [line for line in done if line["task"] == "battles.tasks.battles_advance"]
    assert all(COMMAND_ID.match(line["command_id"]) and line["task_id"] for line in done)
    # beat gives each dispatch a fresh id; the cycles a dispatch hands out carry it in their headers
    assert len(dispatch_ids) > 1 and advanced and all(line["command_id"] in dispatch_ids for line in advanced)


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
    socket_ = WebsocketCommunicator(SessionMiddlewareStack(consumers.GameConsumer.as_asgi()), "/ws/game/")
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

