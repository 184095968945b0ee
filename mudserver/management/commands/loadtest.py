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

`--profile busy` (issue 16, docs/PERFORMANCE.md): every player is a new sign-up with a browser's
session cookie, arriving at 20 a second; each action after 0.5–2.5 s of thought; an auto-battle is
watched for 2–5 of those pauses and stopped; a tenth of the actions are chat messages, timed until
their own echo arrives. `--restart-web-at T` (with --start) SIGTERMs web1 T seconds in and starts it
again as the supervisor would: its players resume by their cookie, and the report gives how long
until each was back in its scene, the commands answered and then lost, and the others' p95.
Every player stops acting at the deadline and waits for the others' last replies before it
closes, so no action is timed against the teardown of the rest.
"""

import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import time
from collections import Counter, defaultdict
from typing import NamedTuple

import uvloop
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
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
BUSY_ARRIVALS_PER_SECOND = 20
BUSY_CHAT, BUSY_GLOBAL = 0.10, 0.10  # shares of the busy profile's actions; the rest are the scene's own
BUSY_WATCH_PAUSES = (2, 5)  # an auto-battle is watched for this many thinking pauses, then stopped
# After a 4012 close the page waits a random time in this window before it reconnects (terminal.js's
# RESTART_RECONNECT_MS), so that the restarted web process takes a share of its players back.
RESTART_RECONNECT_S = (0.5, 5.0)
MOVE_WINDOW = 10.0  # seconds after the SIGTERM in which the others' p95 is taken (the resume target)
CLOSE_SERVICE_RESTART = 4012  # mudserver.drain


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
        parser.add_argument("--profile", choices=("classic", "busy"), default="classic", help="the mix (module doc)")
        parser.add_argument(
            "--restart-web-at", type=float, default=None, help="with --start: SIGTERM web1 this many seconds in"
        )

    def handle(self, *args, users, duration, ramp, url, start, web, seeded, profile, restart_web_at, **options):
        if restart_web_at is not None and not (start and web >= 2):
            raise CommandError("--restart-web-at needs --start and --web 2 or more (someone must take the players)")
        if profile == "busy":
            ramp, seeded = users / BUSY_ARRIVALS_PER_SECOND, 0
        processes = self._start_stack(web) if start else []
        if processes:
            url = self.url
        restart = (restart_web_at, self._restart_web) if restart_web_at is not None else None
        try:
            # uvloop: the players share the machine with the server, so they should cost it little CPU.
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                stats = runner.run(LoadTest(url, users, duration, ramp, seeded, processes, profile, restart).run())
        finally:
            _stop(processes)
        self._report(stats)

    async def _restart_web(self, processes: list[tuple[subprocess.Popen, str]]) -> None:
        """What an operator's `kill -TERM` and the supervisor do: web1 drains and exits, and is
        started again with the same process line."""
        index = next(n for n, (_process, name) in enumerate(processes) if name == "web1")
        os.killpg(processes[index][0].pid, signal.SIGTERM)
        await asyncio.to_thread(processes[index][0].wait)
        processes[index] = (self._spawn(self.specs["web1"]), "web1")

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
        specs = topology.specs()
        self.specs = {spec.name: spec for spec in specs}
        processes = [(self._spawn(spec), spec.name) for spec in specs]
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

    def _spawn(self, spec) -> subprocess.Popen:
        log = open(settings.VAR_DIR / f"loadtest-{spec.name}.log", "a")
        return subprocess.Popen(
            spec.argv,
            env={**PRODUCTION_LIKE, **os.environ, **spec.env},
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _report(self, s: dict) -> None:
        lat = s["response_ms"]
        lines = [
            f"profile {s['profile']}  users {s['users']}  duration {s['duration']} s  ramp {s['ramp']:.0f} s  "
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
        lines.append(
            f"end of run: last 3 s p95 {s['last_seconds_response_ms']['p95']:.1f} ms; "
            f"every socket closed {s['teardown_s']:.1f} s after the last reply"
        )
        if s.get("restart"):
            r = s["restart"]
            lines.append(
                f"rolling restart at {r['at']} s: {r['moved']} players moved, back in their scene: "
                f"p95 {r['back_s']['p95']:.2f} s  max {r['back_s']['max']:.2f} s (target <= 10); "
                f"not back {r['not_back']}; answered then lost {r['answered_then_lost']} (target 0) "
                f"{r['lost_scenes'] or ''}; moved by their fight meanwhile {r['moved_by_fight'] or 0}; "
                f"interrupted unanswered {r['interrupted']}; others' p95 in the {MOVE_WINDOW:.0f} s after "
                f"{r['others_response_ms']['p95']:.1f} ms (target < 250)"
            )
            lines.append(
                "  the moves (p50 / p95 / max s): "
                + "; ".join(
                    f"{label} {r[key]['p50']:.2f} / {r[key]['p95']:.2f} / {r[key]['max']:.2f}"
                    for label, key in (
                        ("closed after the SIGTERM", "closed_s"),
                        ("a new socket after the page's wait", "reconnected_s"),
                        ("the welcome after that", "welcomed_s"),
                    )
                )
                + f"; failed attempts {r['reconnect_failures'] or 0}"
            )
        lines.append("slowest kinds (p95 ms): " + ", ".join(f"{k} {v}" for k, v in s["slowest_p95_ms_by_kind"].items()))
        lines.append("failed by kind: " + (", ".join(f"{k} {v}" for k, v in s["failed_by_kind"].items()) or "none"))
        lines.append(f"saved {s['json']} and {s['png']}")
        self.stdout.write("\n".join(lines))


class Move(NamedTuple):
    """A player moved by a drain, in seconds: back (from the SIGTERM to the welcome), closed (from the
    SIGTERM to its close), reconnected (from the page's wait to a new socket), welcomed (from the new
    socket to the welcome); and the scene it was in and the one it came back in."""

    back: float
    was: str
    got: str
    closed: float
    reconnected: float
    welcomed: float


class LoadTest:
    def __init__(self, url, users, duration, ramp, seeded, processes, profile="classic", restart=None):
        self.url = url
        self.ws_url = url.replace("http", "ws", 1) + "/ws/game/?lang=en"
        self.users, self.duration, self.ramp, self.seeded = users, duration, ramp, seeded
        self.processes, self.profile, self.restart = processes, profile, restart
        self.restarted_at: float | None = None  # monotonic time of the SIGTERM
        self.moves: list[Move] = []  # one per moved player that came back
        self.not_back = self.interrupted = 0
        self.reconnect_failures: Counter[str] = Counter()  # why a moved player's attempts failed
        self.others_during_move: list[float] = []
        self.playing = 0
        self.all_played = asyncio.Event()  # every player has had its last reply: the teardown may begin
        self.closed_at = 0.0
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
        restarter = asyncio.create_task(self._restart()) if self.restart else None
        players = []
        self.playing = self.users
        for i in range(self.users):
            players.append(asyncio.create_task(self._player(i)))
            await asyncio.sleep(self.ramp / max(1, self.users))
        await asyncio.gather(*players, return_exceptions=True)
        self.closed_at = time.monotonic()
        sampler.cancel()
        if restarter:
            await restarter
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
                # A web process started again by --restart-web-at counts from its start.
                server[f"{name}_cpu%"] = round(100 * (cpu_seconds(process.pid) - cpu0.get(process.pid, 0.0)) / wall, 1)
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

    async def _restart(self) -> None:
        at, restart_web = self.restart
        await asyncio.sleep(max(0.0, self.started + at - time.monotonic()))
        self.restarted_at = time.monotonic()
        await restart_web(self.processes)

    def played(self) -> None:
        """One player has had its last reply; once all have, they may close."""
        self.playing -= 1
        if self.playing == 0:
            self.last_reply_at = time.monotonic()
            self.all_played.set()

    async def _player(self, i: int) -> None:
        # Each player from an address of its own, as people are: the sign-in throttles count by address.
        address = f"127.2.{i // 250 % 250}.{i % 250 + 1}"
        player = Player(self, address)
        try:
            if self.profile == "busy":
                player.cookie = await _session_cookie(self.url, address)
            await player.connect()
            player.online.set()
        except (OSError, websockets.WebSocketException, TimeoutError, ValueError):
            self.connect_failures += 1
            self.played()
            return
        reader = asyncio.create_task(player.read())
        try:
            await player.play(i)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.played()
            try:
                await asyncio.wait_for(self.all_played.wait(), 2 * REPLY_TIMEOUT)
            except TimeoutError:
                pass
            player.leaving = True
            reader.cancel()
            await player.ws.close()

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
        tail = self.deadline - self.started - 3
        back = [move.back for move in self.moves]
        changed = [(move.was, move.got) for move in self.moves if move.was != move.got]
        by_fight = Counter(f"{was}->{got}" for was, got in changed if _moved_by_fight(was, got))
        lost = Counter(f"{was}->{got}" for was, got in changed if not _moved_by_fight(was, got))
        summary = {
            "profile": self.profile,
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
            # The actions sent in the run's last 3 s: they end before any player closes (issue 16's 2.9 s).
            "last_seconds_response_ms": _percentiles([ms for t, ms, _kind in self.samples if t >= tail]),
            "teardown_s": self.closed_at - getattr(self, "last_reply_at", self.closed_at),
            "restart": self.restart
            and {
                "at": self.restart[0],
                "moved": len(self.moves) + self.not_back,
                "back_s": _percentiles(back),
                "closed_s": _percentiles([move.closed for move in self.moves]),
                "reconnected_s": _percentiles([move.reconnected for move in self.moves]),
                "welcomed_s": _percentiles([move.welcomed for move in self.moves]),
                "reconnect_failures": dict(self.reconnect_failures.most_common(5)),
                "not_back": self.not_back,
                "answered_then_lost": sum(lost.values()),
                "lost_scenes": dict(lost.most_common()),
                "moved_by_fight": dict(by_fight.most_common()),
                "interrupted": self.interrupted,
                "others_response_ms": _percentiles(self.others_during_move),
            },
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
    """One virtual player: a scene, a reader that wakes the waiting action, a scenario. With a
    session cookie, a socket closed by a draining web process (4012) is opened again after a random
    wait in RESTART_RECONNECT_S, as the page does, and the scene it resumes in is checked against the
    last one it was in."""

    def __init__(self, test: LoadTest, address: str):
        self.test, self.address = test, address
        self.cookie: str | None = None
        self.ws = None
        self.scene = "front"
        self.name = ""
        self.reply = asyncio.Event()
        self.reply_kind = ""
        self.signed_in = False  # from the status frames
        self.online = asyncio.Event()  # a socket is open (cleared while the player moves)
        self.moves = 0  # how many times a draining process closed its socket
        self.leaving = False
        self.chat_echo: tuple[str, asyncio.Event] | None = None  # the text of the chat message awaited

    async def connect(self) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await websockets.connect(
            self.test.ws_url,
            max_size=None,
            max_queue=None,
            open_timeout=30,
            local_addr=(self.address, 0),
            additional_headers=headers,
        )

    async def read(self) -> None:
        while True:
            try:
                async for raw in self.ws:
                    self.frame(json.loads(raw))
            except websockets.ConnectionClosed:
                pass
            self.online.clear()
            if self.leaving or self.cookie is None or self.ws.close_code != CLOSE_SERVICE_RESTART:
                return
            await self.resume()

    def frame(self, frame: dict) -> None:
        self.test.received[frame["type"]] += 1
        if frame["type"] == "status":
            self.signed_in = frame["character"] is not None
        elif frame["type"] in ("output", "error"):
            if frame["type"] == "output":
                self.scene = frame["scene"]
            self.reply_kind = frame["type"]
            self.reply.set()
        elif frame["type"] == "chat" and self.chat_echo and frame.get("from") == self.name:
            if frame.get("text") == self.chat_echo[0]:
                self.chat_echo[1].set()

    async def resume(self) -> None:
        """Reconnect through the balancer with the same cookie until a web process takes the
        player; it must be welcomed back in the scene it was in."""
        self.moves += 1
        was, test = self.scene, self.test
        closed = time.monotonic()
        await asyncio.sleep(random.uniform(*RESTART_RECONNECT_S))  # as the page does
        waited = time.monotonic()
        give_up = waited + 30
        while time.monotonic() < give_up:
            try:
                await self.connect()
                connected = time.monotonic()
                welcome = await asyncio.wait_for(self.welcome(), REPLY_TIMEOUT)
                break
            except (OSError, websockets.WebSocketException, TimeoutError) as failed:
                test.reconnect_failures[str(failed)[:80] or type(failed).__name__] += 1
                await asyncio.sleep(0.2)
        else:
            test.not_back += 1
            return
        now = time.monotonic()
        signalled = test.restarted_at or closed
        test.moves.append(
            Move(now - signalled, was, welcome["scene"], closed - signalled, connected - waited, now - connected)
        )
        self.scene = welcome["scene"]
        self.online.set()

    async def welcome(self) -> dict:
        """The output a connection opens with (the scene it resumes)."""
        while True:
            frame = json.loads(await self.ws.recv())
            self.test.received[frame["type"]] += 1
            if frame["type"] == "output":
                return frame

    async def act(self, line: str, kind: str | None = None) -> bool:
        await asyncio.wait_for(self.online.wait(), 30)  # a player that never got back gives up
        moves = self.moves
        kind = kind or f"{self.scene}:{line.split()[0] if line else ''}"
        self.reply.clear()
        sent = time.monotonic()
        try:
            await self.ws.send(json.dumps({"type": "command", "line": line}))
        except websockets.ConnectionClosed:
            return False  # never sent: the socket was closing under it
        self.test.tried[kind] += 1
        try:
            await asyncio.wait_for(self.reply.wait(), REPLY_TIMEOUT)
        except TimeoutError:
            if self.moves != moves or self.ws.close_code == CLOSE_SERVICE_RESTART:
                self.test.tried[kind] -= 1  # sent as its process drained: unanswered, so nothing to lose
                self.test.interrupted += 1
            return False
        if self.reply_kind != "output":
            return False
        self.sample(sent, kind)
        return True

    def sample(self, sent: float, kind: str) -> None:
        test = self.test
        test.completed[kind] += 1
        ms = (time.monotonic() - sent) * 1000
        test.samples.append((sent - test.started, ms, kind))
        if test.restarted_at is not None and not self.moves and sent - test.restarted_at < MOVE_WINDOW:
            test.others_during_move.append(ms)

    async def play(self, i: int) -> None:
        await asyncio.wait_for(self.reply.wait(), 30)  # the title screen
        if random.random() < 0.5 and self.test.seeded:
            name, password = f"user{random.randint(1, self.test.seeded)}", "qwe123"
            steps = [("in", "signin"), (name, "signin"), (password, "signin")]
        else:
            name, password = f"lt{self.test.run_id}{i}", "loadtest1"
            steps = [("up", "signup"), (name, "signup"), (password, "signup"), (name, "signup")]
        self.name = name  # the seeded users' characters bear their usernames too
        for line, kind in steps:
            await self.act(line, kind)
        await asyncio.sleep(0.5)  # the status frame follows the reply
        if not self.signed_in:
            self.test.not_signed_in += 1
        busy = self.test.profile == "busy"
        chatter = None if busy else asyncio.create_task(self.chat())
        try:
            while time.monotonic() < self.test.deadline:
                await asyncio.sleep(random.uniform(0.5, 2.5))
                if time.monotonic() >= self.test.deadline:
                    break
                await (self.busy_step() if busy else self.step())
        finally:
            if chatter:
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

    async def busy_step(self) -> None:
        """One action of the busy mix (docs/PERFORMANCE.md)."""
        roll = random.random()
        if roll < BUSY_CHAT:
            await self.timed_chat()
        elif roll < BUSY_CHAT + BUSY_GLOBAL or self.scene not in ACTIONS and self.scene != "auto_battle":
            await self.act(random.choice(GLOBALS) if self.scene in ACTIONS else "g home")
        elif self.scene == "auto_battle":
            await self.act("s")
        else:
            await self.act(random.choice(ACTIONS[self.scene]))
            if self.scene == "auto_battle":  # watch it for a few pauses, then the next step stops it
                for _pause in range(random.randint(*BUSY_WATCH_PAUSES) - 1):
                    await asyncio.sleep(random.uniform(0.5, 2.5))

    async def timed_chat(self) -> None:
        """A chat message, timed from sending until its own echo comes back."""
        await asyncio.wait_for(self.online.wait(), 30)
        self.test.chats += 1
        text = f"hi {random.getrandbits(32):08x}"
        echoed = asyncio.Event()
        self.chat_echo = (text, echoed)
        sent = time.monotonic()
        try:
            await self.ws.send(json.dumps({"type": "chat", "text": text}))
        except websockets.ConnectionClosed:
            return
        self.test.tried["chat"] += 1
        try:
            await asyncio.wait_for(echoed.wait(), REPLY_TIMEOUT)
        except TimeoutError:
            return
        finally:
            self.chat_echo = None
        self.sample(sent, "chat")

    async def chat(self) -> None:
        while True:
            await asyncio.sleep(3)
            if random.random() < 0.2:
                self.test.chats += 1
                await self.ws.send(json.dumps({"type": "chat", "text": f"hi from load test {random.randint(1, 999)}"}))


async def _session_cookie(url: str, address: str) -> str:
    """Load the page as a browser does, from the player's address, and keep its session cookie."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port), local_addr=(address, 0))
    try:
        writer.write(f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        head = (await asyncio.wait_for(reader.read(), 30)).split(b"\r\n\r\n", 1)[0].decode("latin-1")
    finally:
        writer.close()
    cookies = [
        line.split(":", 1)[1].split(";", 1)[0].strip()
        for line in head.split("\r\n")
        if line.lower().startswith("set-cookie:")
    ]
    if not cookies:
        raise ValueError("the page set no session cookie")
    return "; ".join(cookies)


def _moved_by_fight(was: str, got: str) -> bool:
    """A fight goes on while its player moves (a drain is not a departure): a death takes them to the
    healer, a kill in a manual fight to the next encounter. Not a command lost: the game moved them."""
    return got == "heal" or (was, got) == ("manual_battle", "encounter")


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
