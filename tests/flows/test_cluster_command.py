"""`manage.py cluster` as an operator runs it: one command starts nginx, two daphne processes, a
worker and beat; a game is played through nginx; one signal stops them all."""

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import redis
from django.conf import settings

from tests.client import connected_when_up
from tests.cluster import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.usefixtures("live_db")


def _children_alive(parent: int) -> list[int]:
    """Processes whose parent is `parent` (honcho's shells and what they run), from /proc."""
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


async def test_the_cluster_command_plays_through_nginx_and_stops_together(process_env, tmp_path):
    port, flower_port = free_port(), free_port()
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
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=60)
    output = (tmp_path / "cluster.log").read_text()
    assert "Flushing every character" in output, output
    assert returncode in (0, -signal.SIGINT, 130), output
    nginx_conf = (var_dir / f"cluster-{port}" / "nginx.conf").read_text()
    web_ports = [int(found) for found in re.findall(r"server 127\.0\.0\.1:(\d+)", nginx_conf)]
    assert len(web_ports) == 2
    for stopped in (port, flower_port, *web_ports):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", stopped), timeout=1).close()
