"""Shared fixtures: the real MariaDB test database, Redis, a daphne server and a Celery worker,
each started once per test session as separate processes, as in production."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from mudserver.cluster import web_argv
from mudserver.push import EVENTS_BAD_KEY
from tests.cluster import ROOT, Cluster, free_port, wait_for_port


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session", autouse=True)
def _clean_redis():
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture(autouse=True)
def _events_match_their_schema():
    """Every event told during a test, by any of its processes, matched mudserver.events (the test
    settings check each one; one that fails is noted in Redis by whichever process told it)."""
    yield
    bad = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True).spop(EVENTS_BAD_KEY, 100)
    assert not bad, f"events that do not match their schema: {bad}"


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """The test database, made once. pytest-django would only make it for tests marked django_db,
    but the flow tests reach it through the server processes."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        call_command("load_game_data")
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def process_env(django_db_setup, tmp_path_factory) -> dict:
    """Environment for server processes: the same test database and Redis as this process."""
    db = connection.settings_dict
    url = f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="mudserver.settings.test",
        DATABASE_URL=url,
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
    )


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


def daphne_start(env: dict, log_dir: Path, name: str = "web") -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(log_dir / f"{name}.log", "w")
    process = subprocess.Popen(
        web_argv("127.0.0.1", port),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process, port


@pytest.fixture(scope="session")
def game_server(process_env, log_dir):
    """A real daphne process; yields its base URL (http://127.0.0.1:<port>)."""
    process, port = daphne_start(process_env, log_dir)
    yield f"http://127.0.0.1:{port}"
    _stop(process)


@pytest.fixture(scope="session")
def game_server_2(process_env, log_dir):
    """A second daphne on the same database and Redis: players split over two web processes."""
    process, port = daphne_start(process_env, log_dir, name="web2")
    yield f"http://127.0.0.1:{port}"
    _stop(process)


class Worker:
    """A real Celery worker (with its embedded beat) in a process group of its own, so that a test
    can kill it outright, as a crash would, and start another."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.process, self.starts = env, log_dir, None, 0

    def start(self) -> None:
        self.starts += 1
        self.log_path = log_path = self.log_dir / f"worker-{self.starts}.log"
        # Its metrics on a port of its own, summed over the pool children through files (mudserver.metrics).
        self.metrics_port = free_port()
        env = dict(
            self.env,
            METRICS_ADDR="127.0.0.1",
            METRICS_PORT=str(self.metrics_port),
            PROMETHEUS_MULTIPROC_DIR=str(self.log_dir / "worker-metrics"),
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "celery_app",
                "worker",
                "-B",
                "-Q",
                "celery,battles",
                "--concurrency",
                "2",
                "-l",
                "info",
                "-s",
                str(self.log_dir / "beat-schedule"),
            ],
            cwd=ROOT,
            env=env,
            stdout=open(log_path, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the whole worker (main process, pool children, beat) mid-work."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture(scope="session")
def celery_worker(process_env, log_dir):
    worker = Worker(process_env, log_dir)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def live_db(django_db_setup, django_db_blocker):
    """Database access in autocommit, outside any test transaction: the server processes' writes
    are visible at once. Tests use unique names instead of rolling back."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def cluster(process_env, tmp_path_factory):
    """The production topology (tests/cluster.py): nginx, two daphne, a worker and beat, with its
    own Redis and a relay in front of the test database; fault tests stop and kill its parts."""
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", int(db["PORT"] or 3306)
    running = Cluster(
        process_env,
        tmp_path_factory.mktemp("cluster"),
        database_host=host,
        database_port=port,
        database_url=process_env["DATABASE_URL"],
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
