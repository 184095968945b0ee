"""The database connections a web process and a Celery worker hold stay within the figure README
("Operating it") states, whatever the HTTP traffic (with sign-ups over the WebSocket beside it):
under daphne each HTTP request used to run in a thread of its own that opened a connection and left
it open, until MariaDB ran out of them."""

import asyncio
import re
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from accounts.models import User
from tests.client import connected, unique
from tests.conftest import _stop, daphne_start

pytestmark = pytest.mark.usefixtures("live_db")

# README, "Operating it": per web process 4 HTTP threads + the consumers' database thread + 2 hashing
# threads + the /healthz check's thread; per Celery worker one per pool process (the fixture runs 2).
WEB_BOUND = 4 + 1 + 2 + 1
WORKER_BOUND = 2
PAGE_LOADS, ADMIN_ROUNDS, HEALTH_CHECKS, SIGN_UPS = 150, 12, 100, 12


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _local_port_inodes() -> dict[int, str]:
    """Local TCP port -> socket inode, for this machine's (network namespace's) sockets."""
    ports = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            ports[int(fields[1].rsplit(":", 1)[1], 16)] = fields[9]
    return ports


def _process_tree(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return [pid, *(grandchild for child in children for grandchild in _process_tree(child))]


def _held(pids: list[int]) -> int:
    """Connections to the test database (MariaDB's process list, by the client's host:port) whose
    client socket belongs to one of these processes."""
    with connection.cursor() as cursor:
        database = connection.settings_dict["NAME"]
        cursor.execute("SELECT HOST FROM information_schema.PROCESSLIST WHERE DB = %s", [database])
        client_ports = [int(host.rsplit(":", 1)[1]) for (host,) in cursor.fetchall() if ":" in host]
    ports = _local_port_inodes()
    inodes = set().union(*(_socket_inodes(pid) for pid in pids))
    return sum(1 for port in client_ports if ports.get(port) in inodes)


class _Sampler:
    """The most connections each process group held at any one time, sampled while the traffic runs.
    Past a bound the traffic stops: the test database's server is shared, and without a bound a
    web process would take every connection it allows."""

    def __init__(self, groups: dict[str, list[int]], bounds: dict[str, int]):
        self.groups, self.bounds, self.peak = groups, bounds, dict.fromkeys(groups, 0)
        self.stopping, self.exceeded = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stopping.wait(0.1):
                for name, pids in self.groups.items():
                    self.peak[name] = max(self.peak[name], _held(pids))
                    if self.peak[name] > self.bounds[name]:
                        self.exceeded.set()
        finally:
            connection.close()  # this thread's own

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def _load(opener, url: str, data: dict | None = None) -> str:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with opener.open(url, data=body, timeout=30) as response:
        assert response.status == 200, url
        return response.read().decode()


def _admin_signed_in(base: str, username: str, password: str):
    opener = _opener()
    form = _load(opener, base + "/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    credentials = {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"}
    page = _load(opener, base + "/admin/login/?next=/admin/", credentials)
    assert "Log out" in page or "로그아웃" in page, "the admin sign-in failed"
    return opener


def _admin_pages() -> list[str]:
    changelists = [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]
    return ["/admin/", reverse("mud-online"), reverse("mud-battles"), *changelists]


PASSWORD = "gm-secret-1"


@pytest.fixture
def game_master(live_db):
    return User.objects.create_superuser(unique("gm"), PASSWORD)


async def test_http_traffic_leaves_the_database_connections_within_the_bound(
    process_env, log_dir, celery_worker, game_master
):
    web, port = daphne_start(process_env, log_dir, name="web-dbconn")
    base = f"http://127.0.0.1:{port}"
    groups = {"web": [web.pid], "worker": _process_tree(celery_worker.process.pid)}
    bounds = {"web": WEB_BOUND, "worker": WORKER_BOUND}
    admin_pages = _admin_pages()
    try:
        with _Sampler(groups, bounds) as sampler:

            def page_load(_n):  # a new visitor each time (the page stores no session: mudserver.sessions)
                if not sampler.exceeded.is_set():
                    _load(_opener(), base + "/")

            def admin_round(_n):
                opener = _admin_signed_in(base, game_master.username, PASSWORD)
                for path in admin_pages:
                    if not sampler.exceeded.is_set():
                        _load(opener, base + path)

            def health_check(_n):
                if not sampler.exceeded.is_set():
                    _load(_opener(), base + "/healthz")

            def traffic():
                with ThreadPoolExecutor(max_workers=16) as pool:
                    jobs = [pool.submit(page_load, n) for n in range(PAGE_LOADS)]
                    jobs += [pool.submit(admin_round, n) for n in range(ADMIN_ROUNDS)]
                    jobs += [pool.submit(health_check, n) for n in range(HEALTH_CHECKS)]
                    for job in jobs:
                        job.result()

            async def sign_ups():  # at once: the consumers' database thread and the hashing threads
                clients = [await connected(base) for _ in range(SIGN_UPS)]
                await asyncio.gather(*(client.sign_up() for client in clients))
                for client in clients:
                    await client.close()

            started = time.monotonic()
            await asyncio.gather(asyncio.to_thread(traffic), sign_ups())
            elapsed = time.monotonic() - started
            assert not sampler.exceeded.is_set(), f"more connections than the bound {bounds}: {sampler.peak}"
            # The game still answers: a page load, and a sign-up and a sign-in over the WebSocket.
            await asyncio.to_thread(_load, _opener(), base + "/")
            client = await connected(base)
            username = await client.sign_up()
            assert (await client.command("out"))["scene"] == "front"
            assert (await client.sign_in(username))["scene"] == "front"
            await client.close()
        held = {name: await asyncio.to_thread(_held, pids) for name, pids in groups.items()}
        requests = PAGE_LOADS + ADMIN_ROUNDS * (2 + len(admin_pages)) + HEALTH_CHECKS
        print(
            f"{requests} requests and {SIGN_UPS} sign-ups in {elapsed:.1f} s; connections at peak {sampler.peak}, "
            f"after {held}"
        )
        for name in groups:
            assert sampler.peak[name] <= bounds[name] and held[name] <= bounds[name], (name, sampler.peak, held)
    finally:
        _stop(web)
