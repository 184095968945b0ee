"""`manage.py cluster` as an operator runs it: one command starts nginx, two daphne processes, a
worker and beat; a game is played through nginx; one signal stops them all; a process that exits
is started again alone, so a rolling restart is one SIGTERM at a time (issue 16)."""

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import redis
import websockets
from django.conf import settings

from tests.client import Client, connected, connected_when_up, session_cookie
from tests.cluster import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.usefixtures("live_db")


def _children_alive(parent: int) -> list[int]:
    """Processes whose parent is `parent` (the supervised ones), from /proc."""
    alive = []
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                fields = open(f"/proc/{stat}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                alive.append(int(stat))
    return alive


@contextlib.contextmanager
def _cluster_command(process_env, tmp_path, *, flower_port: int = 0):
    """`manage.py cluster --web 2 --workers 1` as an operator starts it, stopped with Ctrl-C at the
    end; yields the command's process, nginx's port and the var directory."""
    port = free_port()
    command = [
        sys.executable,
        "manage.py",
        "cluster",
        "--web",
        "2",
        "--workers",
        "1",
        "--port",
        str(port),
        "--metrics-port",
        str(free_port()),
        "--flower-port",
        str(flower_port),
    ]
    log = open(tmp_path / "cluster.log", "w")
    # A Redis database of its own: the session's worker and beat on the tests' one would share its battles.
    redis_url = settings.REDIS_URL.rsplit("/", 1)[0] + "/8"
    redis.Redis.from_url(redis_url).flushdb()
    # As an operator runs it: no settings module named (so the production one), a var directory of its own.
    var_dir = tmp_path / "var"
    env = {name: value for name, value in process_env.items() if name != "DJANGO_SETTINGS_MODULE"}
    env.update(REDIS_URL=redis_url, MUD_VAR_DIR=str(var_dir))
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, timeout=60)
        yield process, port, var_dir
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def _web_ports(var_dir, port: int) -> list[int]:
    nginx_conf = (var_dir / f"cluster-{port}" / "nginx.conf").read_text()
    return [int(found) for found in re.findall(r"server 127\.0\.0\.1:(\d+)", nginx_conf)]


def _pid(var_dir, port: int, name: str) -> int:
    return int((var_dir / f"cluster-{port}" / f"{name}.pid").read_text())


async def test_the_cluster_command_plays_through_nginx_and_stops_together(process_env, tmp_path):
    flower_port = free_port()
    with _cluster_command(process_env, tmp_path, flower_port=flower_port) as (process, port, var_dir):
        base_url = f"http://127.0.0.1:{port}"
        client, _welcome = await connected_when_up(base_url, timeout=60)
        await client.sign_up()
        await client.command("d")
        await client.command("enter 1")
        assert (await client.command("a"))["scene"] == "auto_battle"
        # The worker behind beat advances it: any line of the live feed (a new character may fall to an
        # elite monster before its first kill, so no particular line is certain).
        await client.next("output", timeout=20)
        await client.ask("s", "stop fighting")
        await client.close()
        # DEBUG is off: an unknown page gets the plain 404, not Django's technical one; whitenoise
        # serves the static files that the command collected.
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base_url + "/no-such-page/", timeout=10)
        assert missing.value.code == 404 and b"URLconf" not in missing.value.read()
        script = urllib.request.urlopen(base_url + "/static/mudserver/terminal.js", timeout=10)
        assert script.status == 200 and script.read() == (ROOT / "mudserver/static/mudserver/terminal.js").read_bytes()
        assert (var_dir / "secret_key").stat().st_mode & 0o777 == 0o600
        children = _children_alive(process.pid)
        # nginx, web1, web2, worker1, beat and Flower
        assert len(children) == 6, (tmp_path / "cluster.log").read_text()
        wait_for_port(flower_port, timeout=30)
    output = (tmp_path / "cluster.log").read_text()
    assert "Flushing every character" in output, output
    assert process.returncode in (0, -signal.SIGINT, 130), output
    web_ports = _web_ports(var_dir, port)
    assert len(web_ports) == 2
    for stopped in (port, flower_port, *web_ports):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", stopped), timeout=1).close()
    assert not list((var_dir / f"cluster-{port}").glob("*.pid"))


PLAYERS_PER_WEB = 8  # tens of players in all: the rolling restart at 1,000 is loadtest --restart-web-at
SCENES = (("v", "2"), ("v", "3"), ("d",), ("v", "5"))  # heal, enhance, dungeon, arena_npc: a scene each
RESUME_SECONDS = 10.0


async def _player(base_url: str, web_url: str, steps: tuple[str, ...]) -> tuple[Client, str, str]:
    """A browser session (its cookie from nginx) signed up on `web_url`, taken to a scene by
    `steps`; returns the client, the cookie and the scene of the last answered command."""
    cookie = session_cookie(base_url)
    client = await connected(web_url, cookie=cookie)
    await client.sign_up()
    for line in steps:
        scene = (await client.command(line))["scene"]
    return client, cookie, scene


async def _moved(client: Client, base_url: str, cookie: str, started: float) -> tuple[dict, float]:
    """Read until the draining process closes the socket (4012), reconnect through nginx with the
    same cookie as the browser does, and return the welcome back with the seconds since SIGTERM."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await client.next(timeout=RESUME_SECONDS)
    assert closed.value.rcvd.code == 4012
    back_client, back = await connected_when_up(base_url, cookie=cookie, timeout=RESUME_SECONDS)
    elapsed = time.monotonic() - started
    await back_client.close()
    return back, elapsed


async def _playing(client: Client, stop: asyncio.Event) -> int:
    """Keep a player on the other web process playing until `stop`; every command must be answered."""
    answered = 0
    while not stop.is_set():
        assert (await client.command("status"))["type"] == "output"
        answered += 1
        await asyncio.sleep(0.2)
    return answered


async def test_a_rolling_restart_moves_one_web_processes_players_and_the_supervisor_starts_it_again(
    process_env, tmp_path
):
    with _cluster_command(process_env, tmp_path) as (_process, port, var_dir):
        base_url = f"http://127.0.0.1:{port}"
        await connected_when_up(base_url, timeout=60)
        web1_url, web2_url = (f"http://127.0.0.1:{web}" for web in _web_ports(var_dir, port))
        moving = [await _player(base_url, web1_url, SCENES[n % len(SCENES)]) for n in range(PLAYERS_PER_WEB)]
        staying = [await _player(base_url, web2_url, SCENES[n % len(SCENES)]) for n in range(PLAYERS_PER_WEB)]
        web1_pid = _pid(var_dir, port, "web1")

        stop = asyncio.Event()
        others = [asyncio.ensure_future(_playing(client, stop)) for client, _cookie, _scene in staying]
        started = time.monotonic()
        os.kill(web1_pid, signal.SIGTERM)  # what an operator types: one web process at a time
        backs = await asyncio.gather(*(_moved(client, base_url, cookie, started) for client, cookie, _s in moving))
        stop.set()
        answered = await asyncio.gather(*others)

        for (_client, _cookie, scene), (back, elapsed) in zip(moving, backs, strict=True):
            # Resumed by the browser's session cookie, not signed in again, in the scene its last
            # answered command reached, within the target.
            assert back["scene"] == scene and "Welcome back" in back["plain"], back
            assert elapsed <= RESUME_SECONDS
        assert all(count > 0 for count in answered)  # the other players kept playing throughout
        wait_for_port(int(web1_url.rsplit(":", 1)[1]), timeout=30)  # the supervisor started web1 again
        assert _pid(var_dir, port, "web1") != web1_pid
        client, _welcome = await connected_when_up(web1_url, timeout=10)
        await client.close()
        for client, _cookie, _scene in staying:
            await client.close()
    output = (tmp_path / "cluster.log").read_text()
    assert "web1" in output and "exited with 0" in output, output


async def test_a_crashed_worker_is_started_again_and_the_game_plays_on(process_env, tmp_path):
    with _cluster_command(process_env, tmp_path) as (_process, port, var_dir):
        base_url = f"http://127.0.0.1:{port}"
        client, _welcome = await connected_when_up(base_url, timeout=60)
        await client.sign_up()
        worker_pid = _pid(var_dir, port, "worker1")
        os.killpg(worker_pid, signal.SIGKILL)  # the worker and its pool, as a crash would
        assert (await client.command("v"))["scene"] == "village"  # the web processes stayed up
        deadline = time.monotonic() + 30
        while _pid(var_dir, port, "worker1") == worker_pid:
            assert time.monotonic() < deadline, (tmp_path / "cluster.log").read_text()
            await asyncio.sleep(0.2)
        await client.command("b")
        await client.command("d")
        await client.command("enter 1")
        assert (await client.command("a"))["scene"] == "auto_battle"
        await client.next("output", timeout=30)  # the new worker advances the battle
        await client.ask("s", "stop fighting")
        await client.close()
    assert f"exited with {-signal.SIGKILL}" in (tmp_path / "cluster.log").read_text()
