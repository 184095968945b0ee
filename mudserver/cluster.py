"""The production topology on one machine, without containers (issue 9; compose/ is the same with
them): nginx balancing N daphne processes, M Celery workers and exactly one beat. `manage.py
cluster` runs it under the Supervisor below; the load test and the fault tests start the same
processes one by one, so that they can stop or kill each."""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    port: int | None = None  # what it listens on, for web processes and nginx
    env: dict[str, str] = field(default_factory=dict)  # added to the common environment

    @property
    def metrics_url(self) -> str | None:
        if "METRICS_PORT" in self.env:
            return f"http://{self.env['METRICS_ADDR']}:{self.env['METRICS_PORT']}/"
        if self.name.startswith("web"):
            return f"http://127.0.0.1:{self.port}/metrics"
        return None


def web_argv(host: str, port: int) -> list[str]:
    """A daphne process serving the game (on uvloop, mudserver.serve). Behind nginx it takes the
    player's address from the header nginx sets, and only from TRUSTED_PROXIES
    (mudserver.client_address), not with daphne's --proxy-headers, which believes anyone."""
    return [sys.executable, "-m", "mudserver.serve", "-b", host, "-p", str(port), "mudserver.asgi:application"]


def worker_spec(name: str, *, concurrency: int, metrics_host: str, metrics_port: int, run_dir: Path) -> ProcessSpec:
    """A Celery worker on both queues; it sums its pool children's metrics through files in a
    directory of its own."""
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "celery_app",
        "worker",
        "-Q",
        "celery,battles",
        "--concurrency",
        str(concurrency),
        "-n",
        f"{name}@%h",
        "-l",
        "warning",
    ]
    env = {
        "METRICS_ADDR": metrics_host,
        "METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(run_dir / f"metrics-{name}"),
    }
    return ProcessSpec(name, argv, env=env)


def beat_spec(*, metrics_host: str, metrics_port: int, run_dir: Path) -> ProcessSpec:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "celery_app",
        "beat",
        "-l",
        "warning",
        "-s",
        str(run_dir / "celerybeat-schedule"),
    ]
    return ProcessSpec("beat", argv, env={"METRICS_ADDR": metrics_host, "METRICS_PORT": str(metrics_port)})


@dataclass
class Topology:
    host: str
    port: int  # nginx: the one address players use
    web_ports: list[int]
    workers: int
    concurrency: int  # processes per worker
    metrics_port: int  # the first worker's; the others and beat follow
    run_dir: Path
    flower_port: int | None = None  # Celery's web monitor, on loopback

    def specs(self) -> list[ProcessSpec]:
        python = sys.executable
        specs = [ProcessSpec("nginx", [NGINX, "-p", str(self.run_dir), "-c", str(self.nginx_conf())], self.port)]
        for number, port in enumerate(self.web_ports, start=1):
            specs.append(ProcessSpec(f"web{number}", web_argv("127.0.0.1", port), port))
        for number in range(1, self.workers + 1):
            specs.append(
                worker_spec(
                    f"worker{number}",
                    concurrency=self.concurrency,
                    metrics_host="127.0.0.1",
                    metrics_port=self.metrics_port + number - 1,
                    run_dir=self.run_dir,
                )
            )
        specs.append(
            beat_spec(metrics_host="127.0.0.1", metrics_port=self.metrics_port + self.workers, run_dir=self.run_dir)
        )
        if self.flower_port:
            argv = [
                python,
                "-m",
                "celery",
                "-A",
                "celery_app",
                "flower",
                "--address=127.0.0.1",
                f"--port={self.flower_port}",
            ]
            specs.append(ProcessSpec("flower", argv, self.flower_port))
        return specs

    def nginx_conf(self) -> Path:
        """Write nginx's configuration for these ports (the same rules as compose/nginx.conf), and
        fail early, with nginx's own words, if it refuses it."""
        for name in ("logs", "temp"):
            (self.run_dir / name).mkdir(parents=True, exist_ok=True)
        path = self.run_dir / "nginx.conf"
        # Never marked down: a web process that restarts refuses connections for a second or two (each
        # then goes to the next at once), and must get its share back as soon as it listens again.
        # Marked down for even 2 s, it got none of its players back after a rolling restart.
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=0;" for port in self.web_ports)
        user = "user root;" if os.geteuid() == 0 else ""  # as root, workers would switch to nobody
        gate = settings.GATE
        path.write_text(
            NGINX_CONF.format(
                user=user,
                host=self.host,
                port=self.port,
                servers=servers,
                real_ip=real_ip_conf(settings.BALANCER_NETWORKS),
                admin_access=admin_access_conf(settings.ADMIN_NETWORKS),
                sockets=gate["SOCKETS_PER_ADDRESS"],
                handshakes=gate["HANDSHAKES_PER_SECOND"],
                burst=gate["HANDSHAKE_BURST"] - 1,
            )
        )
        subprocess.run([NGINX, "-t", "-q", "-p", str(self.run_dir), "-c", str(path)], check=True)
        return path


def real_ip_conf(balancers: list[str]) -> str:
    """Behind a TLS balancer (BALANCER_NETWORKS), $remote_addr becomes the address the balancer
    appended to X-Forwarded-For, the last one: what a client put before it is never taken."""
    if not balancers:
        return ""
    trusted = "".join(f"        set_real_ip_from {network};\n" for network in balancers)
    return trusted + "        real_ip_header X-Forwarded-For;\n        real_ip_recursive off;\n"


def admin_access_conf(networks: list[str]) -> str:
    """ADMIN_NETWORKS: only these networks reach /admin/ (403 for the rest); empty, everyone does."""
    if not networks:
        return ""
    return "".join(f"            allow {network};\n" for network in networks) + "            deny all;\n"


def topology_for(
    *,
    host: str,
    port: int,
    web_ports: list[int],
    workers: int,
    concurrency: int,
    metrics_port: int,
    flower_port: int | None = None,
) -> Topology:
    run_dir = settings.VAR_DIR / f"cluster-{port}"
    run_dir.mkdir(parents=True, exist_ok=True)
    return Topology(host, port, web_ports, workers, concurrency, metrics_port, run_dir, flower_port)


def secret_key_kept(path: Path) -> str:
    """The SECRET_KEY kept at `path`, made on first use: readable by its owner only, and the same
    on every start, so that sessions and signed values survive a restart."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(key + "\n")
    return key


STABLE_SECONDS = 10.0  # a process that ran this long before it exited is restarted at once
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0  # then, for one that keeps exiting sooner: 1, 2, 4 … 30 s
STOP_GRACE = 30.0  # what compose and the systemd units give before SIGKILL (a web process drains in 10)


@dataclass
class Child:
    spec: ProcessSpec
    process: subprocess.Popen | None = None
    started: float = 0.0
    backoff: float = 0.0
    restart_at: float | None = None  # when an exited process is due to start again


class Supervisor:
    """Run each process in a session of its own and start again any that exits, whatever the
    reason (a drained web process's SIGTERM included), without touching the others: a rolling
    restart is one `kill -TERM $(cat <run_dir>/web1.pid)` at a time. One that keeps exiting
    within STABLE_SECONDS waits longer each time (up to BACKOFF_MAX), and every exit is logged.
    SIGINT or SIGTERM to the supervisor stops them all (SIGTERM to each, SIGKILL after STOP_GRACE).

    honcho stops everything when one process exits; supervisord would be a second daemon with a
    configuration of its own to write and to stop before the final character flush, which this
    loop of the cluster command's own does in order (deploy/ has its units for hosts that run one)."""

    def __init__(self, specs: list[ProcessSpec], env: dict[str, str], run_dir: Path, write: Callable[[str], None]):
        self.children = [Child(spec) for spec in specs]
        self.env, self.run_dir, self.write = env, run_dir, write
        self.width = max(len(spec.name) for spec in specs)
        self.stopping = threading.Event()

    def run(self) -> int:
        """Supervise until SIGINT or SIGTERM; then stop every process and return 0."""
        previous = {sig: signal.signal(sig, lambda _sig, _frame: self.stopping.set()) for sig in STOP_SIGNALS}
        try:
            for child in self.children:
                self._start(child)
            while not self.stopping.wait(0.2):
                for child in self.children:
                    self._watch(child)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _watch(self, child: Child) -> None:
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._start(child)
            return
        returncode = child.process.poll()
        if returncode is None:
            return
        ran = now - child.started
        child.backoff = 0.0 if ran >= STABLE_SECONDS else min(max(child.backoff * 2, BACKOFF_FIRST), BACKOFF_MAX)
        child.restart_at = now + child.backoff
        self._log(child.spec.name, f"exited with {returncode} after {ran:.1f} s; restarting in {child.backoff:.0f} s")

    def _start(self, child: Child) -> None:
        spec = child.spec
        child.process = subprocess.Popen(
            spec.argv,
            env=dict(self.env, **spec.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor only, which stops each in turn
        )
        child.started, child.restart_at = time.monotonic(), None
        (self.run_dir / f"{spec.name}.pid").write_text(f"{child.process.pid}\n")
        threading.Thread(target=self._relay, args=(spec.name, child.process.stdout), daemon=True).start()
        self._log(spec.name, f"started with pid {child.process.pid}")

    def _relay(self, name: str, output) -> None:
        for line in iter(output.readline, b""):
            self._log(name, line.decode(errors="replace").rstrip())
        output.close()

    def _log(self, name: str, text: str) -> None:
        self.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {text}")

    def _stop_all(self) -> None:
        running = [child for child in self.children if child.process is not None and child.process.poll() is None]
        for child in running:
            self._log(child.spec.name, "stopping")
            os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._log(child.spec.name, f"still running after {STOP_GRACE:.0f} s: killed")
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        for child in self.children:
            (self.run_dir / f"{child.spec.name}.pid").unlink(missing_ok=True)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


NGINX_CONF = """# Written by mudserver.cluster for this run; compose/nginx.conf is the production one.
daemon off;
{user}
worker_processes 1;
pid nginx.pid;
error_log logs/error.log warn;
worker_rlimit_nofile 65535;

events {{
    worker_connections 16384;
}}

http {{
    access_log off;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;

    # No sticky sessions: any daphne serves any player's next command (invariant 2). Least connections,
    # not round robin: a browser loads the page and then opens its socket, two requests that round
    # robin sends to the two processes in turn, so one held nearly every socket; the open WebSockets
    # are what a web process's load follows.
    upstream web {{
        least_conn;
{servers}
        keepalive 32;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" "";
    }}

    # Sockets open and handshakes a second per client address (settings.GATE, where the numbers
    # are explained; the web processes hold the same ones): refused with 429. nginx lets a burst
    # and one more through at once.
    limit_conn_zone $binary_remote_addr zone=ws_sockets:10m;
    limit_req_zone $binary_remote_addr zone=ws_handshakes:10m rate={handshakes}r/s;
    limit_conn_status 429;
    limit_req_status 429;

    server {{
        listen {host}:{port};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        # The client's address as nginx saw it, replacing whatever the client sent in these headers
        # (daphne believes them from TRUSTED_PROXIES only).
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
{real_ip}
        # A web process that stopped refuses connections: the next one takes the player.
        proxy_next_upstream error timeout;
        proxy_connect_timeout 2s;

        location /ws/ {{
            limit_conn ws_sockets {sockets};
            limit_req zone=ws_handshakes burst={burst} nodelay;
            proxy_pass http://web;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}

        # The admin, from ADMIN_NETWORKS only when that is set (docs/SECURITY.md).
        location /admin/ {{
{admin_access}            proxy_pass http://web;
        }}

        # Prometheus scrapes each daphne on its own port: the metrics are never served to players.
        location /metrics {{
            return 404;
        }}

        location / {{
            proxy_pass http://web;
        }}
    }}
}}
"""
