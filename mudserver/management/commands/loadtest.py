"""The original team's random-player load test, rebuilt: virtual players over the WebSocket
protocol only (original-game.md §10.2).

    manage.py loadtest --users 1000 --duration 300 --ramp 60 [--start] [--url http://127.0.0.1:8000]

Each virtual player signs in as a seeded user (user1…, password qwe123: run seed_users first) or
signs up a fresh one (half and half), then keeps picking a random action allowed in its scene
(10 % of the time a global command), thinking 0.5–2.5 s between actions; at a dungeon gate it may
start an auto-battle and watch it for a random share (up to 80 %) of the time left; it chats with a
20 % chance every 3 s. Response time = send → first reply; success = actions answered / tried.
With --start it runs the production-like stack itself (nginx, --web daphne processes, two Celery
workers, beat: mudserver.cluster) on
the configured DATABASE_URL and REDIS_URL, and measures their CPU and memory. Prints the report,
saves it as JSON and draws latency and throughput over time as a PNG (var/loadtest-*).
"""

import asyncio
import json
import os
import random
import resource
import subprocess
import time
from collections import Counter, defaultdict

import uvloop
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from mudserver.benchmarks import cpu_seconds, rss_mb, services_usage
from mudserver.cluster import topology_for
from mudserver.percentiles import percentile
from mudserver.ports import free_port, wait_for_port

REPLY_TIMEOUT = 10.0
ACTIONS = {  # what a player may type in each scene (repeats weigh the common ones)
    "front": ["v", "v", "d", "d", "who", "status"],
    "village": ["1", "2", "2", "3", "4", "5", "l", "skill", "b"],
    "story": ["1", "2", "3"],
    "heal": ["1", "2", "2", "3"],
    "enhance": ["1", "2", "3"],
    "gamble": ["1", "2", "3"],
    "arena_npc": ["1", "2", "3"],
    "arena_lobby": ["re", "rank", "r"],
    "skills": ["b"],
    "dungeon": ["l", "e 1", "e 1", "e 2", "b"],
    "dungeon_gate": ["a", "a", "n", "b"],
    "encounter": ["a", "r"],
    "manual_battle": ["1", "s", "r"],
}
GLOBALS = ["who", "status", "g help"]
# The stack started with --start runs as in production unless the environment says otherwise:
# no DEBUG (which records every SQL statement) and JSON log lines.
PRODUCTION_LIKE = {"DJANGO_DEBUG": "false", "LOG_FORMAT": "json"}
SIGN_IN_KINDS = ("signin", "signup")  # the kinds of the steps that sign a player in or up


class Command(BaseCommand):
    help = "Random-player load test over WebSockets (the original's scenario); prints, saves JSON and a PNG."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=200)
        parser.add_argument("--duration", type=int, default=60, help="seconds of play after the ramp starts")
        parser.add_argument("--ramp", type=int, default=20, help="seconds over which players arrive")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--start", action="store_true", help="run nginx, daphne, 2 workers and beat for the test")
        parser.add_argument("--web", type=int, default=1, help="with --start: daphne processes behind nginx")
        parser.add_argument("--seeded", type=int, default=10_000, help="how many user<N> accounts exist")

    def handle(self, *args, users, duration, ramp, url, start, web, seeded, **options):
        processes = self._start_stack(web) if start else []
        if processes:
            url = self.url
        try:
            # uvloop: the players share the machine with the server, so they should cost it little CPU.
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                stats = runner.run(LoadTest(url, users, duration, ramp, seeded, processes).run())
        finally:
            _stop(processes)
        self._report(stats)

    def _start_stack(self, web: int) -> list[tuple[subprocess.Popen, str]]:
        """The production-like topology (mudserver.cluster): nginx, `web` daphne processes, two
        Celery workers of one process each, and beat; players connect through nginx."""
        port = free_port()
        topology = topology_for(
            host="127.0.0.1",
            port=port,
            web_ports=[free_port() for _ in range(web)],
            workers=2,
            concurrency=1,
            metrics_port=free_port(),
        )
        specs, processes = topology.specs(), []
        for spec in specs:
            log = open(settings.VAR_DIR / f"loadtest-{spec.name}.log", "w")
            process = subprocess.Popen(
                spec.argv,
                env={**PRODUCTION_LIKE, **os.environ, **spec.env},
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            processes.append((process, spec.name))
        try:
            for spec in specs:
                if spec.port is not None:
                    wait_for_port(spec.port)
        except RuntimeError:
            _stop(processes)
            raise
        time.sleep(3)  # the workers connect to the broker
        self.url = f"http://127.0.0.1:{port}"
        return processes

    def _report(self, s: dict) -> None:
        lat = s["response_ms"]
        lines = [
            f"users {s['users']}  duration {s['duration']} s  ramp {s['ramp']} s  "
            f"connect failures {s['connect_failures']}  "
            f"not signed in {s['not_signed_in']}",
            f"actions tried {s['tried']}  completed {s['completed']}  failed {s['failed']}  "
            f"success {s['success_percent']:.2f} %",
            *(
                f"{label} p50 {v['p50']:.1f} ms  p95 {v['p95']:.1f} ms  p99 {v['p99']:.1f} ms  max {v['max']:.1f} ms"
                for label, v in (
                    ("response", lat),
                    ("after the ramp", s["steady_response_ms"]),
                    ("sign-in steps", s["signin_response_ms"]),
                    ("game during the ramp", s["ramp_game_response_ms"]),
                )
            ),
            f"chat messages {s['chats']}  throughput {s['actions_per_second']:.1f} actions/s",
            "frames received per second: " + ", ".join(f"{k} {v}" for k, v in s["frames_per_second"].items()),
        ]
        if s.get("server"):
            lines.append("server " + "  ".join(f"{k} {v}" for k, v in s["server"].items()))
        lines.append(f"database connections (max seen) {s['db_connections_max']}")
        lines.append("slowest kinds (p95 ms): " + ", ".join(f"{k} {v}" for k, v in s["slowest_p95_ms_by_kind"].items()))
        lines.append("failed by kind: " + (", ".join(f"{k} {v}" for k, v in s["failed_by_kind"].items()) or "none"))
        lines.append(f"saved {s['json']} and {s['png']}")
        self.stdout.write("\n".join(lines))


class LoadTest:
    def __init__(self, url, users, duration, ramp, seeded, processes):
        self.ws_url = url.replace("http", "ws", 1) + "/ws/game/?lang=en"
        self.users, self.duration, self.ramp, self.seeded = users, duration, ramp, seeded
        self.processes = processes
        self.run_id = f"{random.getrandbits(24):06x}"
        self.tried, self.completed = Counter(), Counter()
        self.received = Counter()  # frames from the server, by type
        self.samples: list[tuple[float, float, str]] = []  # (time since start, response ms, kind)
        self.connect_failures = self.chats = self.not_signed_in = 0
        self.db_connections: list[int] = []

    async def run(self) -> dict:
        self.started = time.monotonic()
        self.deadline = self.started + self.duration
        cpu0 = {p.pid: cpu_seconds(p.pid) for p, _name in self.processes}
        services0, client0 = await sync_to_async(services_usage)(), _own_cpu_seconds()
        sampler = asyncio.create_task(self._sample_db())
        players = []
        for i in range(self.users):
            players.append(asyncio.create_task(self._player(i)))
            await asyncio.sleep(self.ramp / max(1, self.users))
        await asyncio.gather(*players, return_exceptions=True)
        sampler.cancel()
        wall = time.monotonic() - self.started
        services = await sync_to_async(services_usage)()
        server = {"client_cpu%": round(100 * (_own_cpu_seconds() - client0) / wall, 1)}
        completed = sum(self.completed.values()) or 1
        for name, value in services.items():
            delta = value - services0[name]
            if name.endswith("_cpu_s"):
                server[f"{name[:-6]}_cpu%"] = round(100 * delta / wall, 1)
            else:
                server[f"{name}/s"] = round(delta / wall)
                server[f"{name}/action"] = round(delta / completed, 1)
        if self.processes:
            for process, name in self.processes:
                server[f"{name}_cpu%"] = round(100 * (cpu_seconds(process.pid) - cpu0[process.pid]) / wall, 1)
                server[f"{name}_rss_mb"] = round(rss_mb(process.pid))
        return self._summary(wall, server)

    async def _sample_db(self) -> None:
        def threads() -> int:
            with connection.cursor() as cursor:
                if connection.vendor != "mysql":
                    return 0
                cursor.execute("SHOW STATUS LIKE 'Threads_connected'")
                return int(cursor.fetchone()[1])

        while True:
            self.db_connections.append(await sync_to_async(threads)())
            await asyncio.sleep(5)

    async def _player(self, i: int) -> None:
        try:
            # Each player from an address of its own, as people are: the sign-in throttles count by address.
            address = f"127.2.{i // 250 % 250}.{i % 250 + 1}"
            ws = await websockets.connect(
                self.ws_url, max_size=None, max_queue=None, open_timeout=30, local_addr=(address, 0)
            )
        except (OSError, websockets.WebSocketException, TimeoutError):
            self.connect_failures += 1
            return
        player = Player(self, ws)
        reader = asyncio.create_task(player.read())
        try:
            await player.play(i)
        except websockets.ConnectionClosed:
            pass
        finally:
            reader.cancel()
            await ws.close()

    def _summary(self, wall: float, server: dict) -> dict:
        tried, completed = sum(self.tried.values()), sum(self.completed.values())
        latencies = [ms for _t, ms, _kind in self.samples]
        by_kind: dict[str, list[float]] = defaultdict(list)
        for _t, ms, kind in self.samples:
            by_kind[kind].append(ms)
        slowest = sorted(((percentile(v, 95), k) for k, v in by_kind.items()), reverse=True)[:8]
        failed_by_kind = {k: self.tried[k] - self.completed[k] for k in self.tried if self.tried[k] > self.completed[k]}
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = settings.VAR_DIR / f"loadtest-{self.users}-{stamp}"
        summary = {
            "users": self.users,
            "duration": self.duration,
            "ramp": self.ramp,
            "tried": tried,
            "completed": completed,
            "failed": tried - completed,
            "success_percent": 100 * completed / tried if tried else 0.0,
            "response_ms": _percentiles(latencies),
            # Once everyone has arrived (10 s after the ramp): the game without the sign-in storm.
            "steady_response_ms": _percentiles([ms for t, ms, _kind in self.samples if t >= self.ramp + 10]),
            "signin_response_ms": _percentiles([ms for kind in SIGN_IN_KINDS for ms in by_kind[kind]]),
            # The game's commands while others arrive: what the sign-in storm costs those already in.
            "ramp_game_response_ms": _percentiles(
                [ms for t, ms, kind in self.samples if t < self.ramp + 10 and kind not in SIGN_IN_KINDS]
            ),
            "actions_per_second": completed / wall,
            "chats": self.chats,
            "frames_per_second": {kind: round(n / wall) for kind, n in self.received.most_common()},
            "connect_failures": self.connect_failures,
            "not_signed_in": self.not_signed_in,  # players whose sign-in or sign-up did not end signed in
            "tried_by_kind": dict(self.tried),
            "failed_by_kind": dict(sorted(failed_by_kind.items())),
            "slowest_p95_ms_by_kind": {kind: round(p95, 1) for p95, kind in slowest},
            "server": server,
            "db_connections_max": max(self.db_connections, default=0),
            "windows": _windows(self.samples),
            "json": f"{base}.json",
            "png": f"{base}.png",
        }
        settings.VAR_DIR.mkdir(exist_ok=True)
        with open(f"{base}.json", "w") as f:
            json.dump(summary, f, indent=2, ensure_ascii=False)
        _draw(summary["windows"], f"{base}.png", f"{self.users} players")
        return summary


class Player:
    """One virtual player: a scene, a reader that wakes the waiting action, a scenario."""

    def __init__(self, test: LoadTest, ws):
        self.test, self.ws = test, ws
        self.scene = "front"
        self.reply = asyncio.Event()
        self.reply_kind = ""
        self.signed_in = False  # from the status frames

    async def read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            self.test.received[frame["type"]] += 1
            if frame["type"] == "status":
                self.signed_in = frame["character"] is not None
            elif frame["type"] in ("output", "error"):
                if frame["type"] == "output":
                    self.scene = frame["scene"]
                self.reply_kind = frame["type"]
                self.reply.set()

    async def act(self, line: str, kind: str | None = None) -> bool:
        kind = kind or f"{self.scene}:{line.split()[0] if line else ''}"
        self.test.tried[kind] += 1
        self.reply.clear()
        sent = time.monotonic()
        await self.ws.send(json.dumps({"type": "command", "line": line}))
        try:
            await asyncio.wait_for(self.reply.wait(), REPLY_TIMEOUT)
        except TimeoutError:
            return False
        if self.reply_kind != "output":
            return False
        self.test.completed[kind] += 1
        self.test.samples.append((sent - self.test.started, (time.monotonic() - sent) * 1000, kind))
        return True

    async def play(self, i: int) -> None:
        await asyncio.wait_for(self.reply.wait(), 30)  # the title screen
        if random.random() < 0.5 and self.test.seeded:
            name, password = f"user{random.randint(1, self.test.seeded)}", "qwe123"
            steps = [("in", "signin"), (name, "signin"), (password, "signin")]
        else:
            name, password = f"lt{self.test.run_id}{i}", "loadtest1"
            steps = [("up", "signup"), (name, "signup"), (password, "signup"), (name, "signup")]
        for line, kind in steps:
            await self.act(line, kind)
        await asyncio.sleep(0.5)  # the status frame follows the reply
        if not self.signed_in:
            self.test.not_signed_in += 1
        chatter = asyncio.create_task(self.chat())
        try:
            while time.monotonic() < self.test.deadline:
                await asyncio.sleep(random.uniform(0.5, 2.5))
                if time.monotonic() >= self.test.deadline:
                    break
                await self.step()
        finally:
            chatter.cancel()

    async def step(self) -> None:
        if random.random() < 0.1 or self.scene not in ACTIONS and self.scene != "auto_battle":
            line = random.choice(GLOBALS) if self.scene in ACTIONS else "g home"
            await self.act(line)
            return
        if self.scene == "auto_battle":
            await self.act("s")
            return
        line = random.choice(ACTIONS[self.scene])
        await self.act(line)
        if self.scene == "auto_battle":  # watch the fight for a share of the time left
            left = self.test.deadline - time.monotonic()
            await asyncio.sleep(random.uniform(0, 0.8) * max(0.0, left))

    async def chat(self) -> None:
        while True:
            await asyncio.sleep(3)
            if random.random() < 0.2:
                self.test.chats += 1
                await self.ws.send(json.dumps({"type": "chat", "text": f"hi from load test {random.randint(1, 999)}"}))


def _percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values, default=0.0),
    }


def _stop(processes: list[tuple[subprocess.Popen, str]]) -> None:
    for process, _name in processes:
        os.killpg(process.pid, 15)
    for process, _name in processes:
        process.wait(timeout=60)


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _windows(samples: list[tuple[float, float, str]], width: int = 5) -> list[dict]:
    """Response times and throughput second by second, in windows of `width` seconds."""
    windows: dict[int, list[float]] = defaultdict(list)
    for t, ms, _kind in samples:
        windows[int(t // width) * width].append(ms)
    return [
        {
            "t": t,
            "actions/s": round(len(windows[t]) / width, 1),
            "p50": round(percentile(windows[t], 50), 1),
            "p95": round(percentile(windows[t], 95), 1),
        }
        for t in sorted(windows)
    ]


def _draw(windows: list[dict], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [w["t"] for w in windows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.plot(xs, [w["p50"] for w in windows], label="p50")
    top.plot(xs, [w["p95"] for w in windows], label="p95")
    top.set_ylabel("response (ms)")
    top.set_yscale("log")
    top.legend()
    top.set_title(f"Load test: {title}")
    bottom.bar(xs, [w["actions/s"] for w in windows], width=4)
    bottom.set_ylabel("actions/s")
    bottom.set_xlabel("seconds since start")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
