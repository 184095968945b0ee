"""Benchmark: chat fan-out to N connected players, each chatting at the original game's rate.

    manage.py bench_chat --players 2000 --seconds 60

Starts one daphne process, connects N bench players over real WebSockets (already signed in
through a session cookie, so the password hashes are not what is measured), spread over the
global shards (10 to a shard by default). Every 3 s each player sends a message with a 20 %
chance. Every message carries its send time; each receiver records the latency, and each message
is expected by every member of its channel. Prints messages sent, deliveries expected and made,
the delivery rate, latency percentiles, losses and the server's CPU and memory.
"""

import asyncio
import json
import os
import random
import subprocess
import time

import websockets
from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from accounts.benchmarks import bench_characters
from mudserver.benchmarks import cpu_seconds, rss_mb
from mudserver.cluster import web_argv
from mudserver.percentiles import percentile
from mudserver.ports import free_port, wait_for_port
from mudserver.sessions import session_cookie_value, session_key_of_cookie, session_user_store

DRAIN = 5  # seconds to wait for the last deliveries


class Command(BaseCommand):
    help = "Chat fan-out benchmark: N players over WebSockets, 20 % chance of a message every 3 s."

    def add_arguments(self, parser):
        parser.add_argument("--players", type=int, default=500)
        parser.add_argument("--seconds", type=int, default=30)
        parser.add_argument("--chance", type=float, default=0.2, help="chance of a message at each tick")
        parser.add_argument("--every", type=float, default=3.0, help="seconds between a player's ticks")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON line too")

    def handle(self, *args, players, seconds, chance, every, json: bool, **options):
        characters = bench_characters(players)
        cookies = []
        for character in tqdm(characters, desc="signing in (sessions)", unit="player"):
            cookie = session_cookie_value(None)  # as the page hands out, then signed in as over the socket
            session_user_store(session_key_of_cookie(cookie), character.user, settings.LANGUAGE_CODE)
            cookies.append(f"{settings.GAME_SESSION_COOKIE_NAME}={cookie}")
        port = free_port()
        settings.VAR_DIR.mkdir(exist_ok=True)
        log = open(settings.VAR_DIR / "bench-chat-daphne.log", "w")
        server = subprocess.Popen(
            web_argv("127.0.0.1", port),
            env=dict(os.environ),
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port)
            result = asyncio.run(Bench(port, cookies, chance, every).run(seconds, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        result.update(
            players=players,
            seconds=seconds,
            chance=chance,
            every=every,
            shard_capacity=settings.GAME["CHAT_SHARD_CAPACITY"],
        )
        self._report(result, as_json=json)

    def _report(self, r: dict, *, as_json: bool) -> None:
        lat = r["latency_ms"]
        self.stdout.write(
            f"players {r['players']} (connected {r['connected']}, failed {r['connect_failures']},"
            f" closed by the server {r['closed_by_server']})  seconds {r['seconds']}"
            f"  shards of {r['shard_capacity']}  {r['chance']:.0%} every {r['every']} s\n"
            f"messages sent {r['sent']} ({r['sent_per_second']}/s)  deliveries expected {r['expected']}"
            f"  delivered {r['delivered']}  rate {r['delivery_rate']:.3%}  lost {r['lost']}\n"
            f"latency p50 {lat[50]:.1f} ms  p95 {lat[95]:.1f} ms  p99 {lat[99]:.1f} ms  max {lat['max']:.1f} ms\n"
            f"daphne CPU {r['server_cpu_percent']} %  RSS {r['server_rss_mb']:.0f} MB  "
            f"bench client CPU {r['client_cpu_percent']} %"
        )
        if as_json:
            self.stdout.write(json.dumps(r))


class Bench:
    def __init__(self, port: int, cookies: list[str], chance: float, every: float):
        self.url = f"ws://127.0.0.1:{port}/ws/game/"
        self.cookies, self.chance, self.every = cookies, chance, every
        self.members: dict[int, int] = {}  # player -> members of its channel, from chat_presence
        self.expected: dict[str, int] = {}
        self.received: dict[str, int] = {}
        self.latencies: list[float] = []
        self.sending = False
        self.connect_failures = 0
        self.closed = 0  # connections the server closed during the run
        self.run_id = f"{random.getrandbits(32):08x}"  # old runs' messages in the history are not ours

    async def run(self, seconds: int, server_pid: int) -> dict:
        sockets = []
        progress = tqdm(total=len(self.cookies), desc="connecting", unit="player")
        for start in range(0, len(self.cookies), 50):  # 50 handshakes at a time
            batch = await asyncio.gather(*[self._connect(i) for i in range(start, min(start + 50, len(self.cookies)))])
            sockets += [ws for ws in batch if ws is not None]
            progress.update(len(batch))
        progress.close()
        readers = [asyncio.create_task(self._read(i, ws)) for i, ws in sockets]
        await asyncio.sleep(2)  # membership settles: nobody joins or leaves while measuring
        cpu0, client0, started = cpu_seconds(server_pid), time.process_time(), time.monotonic()
        self.sending = True
        senders = [asyncio.create_task(self._chat(i, ws)) for i, ws in sockets]
        await asyncio.sleep(seconds)
        self.sending = False
        wall = time.monotonic() - started
        server_cpu, client_cpu = cpu_seconds(server_pid) - cpu0, time.process_time() - client0
        await asyncio.gather(*senders)
        await asyncio.sleep(DRAIN)
        rss = rss_mb(server_pid)
        for task in readers:
            task.cancel()
        await asyncio.gather(*[ws.close() for _i, ws in sockets], return_exceptions=True)
        expected = sum(self.expected.values())
        delivered = sum(min(self.received.get(key, 0), count) for key, count in self.expected.items())
        return {
            "connected": len(sockets),
            "connect_failures": self.connect_failures,
            "closed_by_server": self.closed,
            "sent": len(self.expected),
            "sent_per_second": round(len(self.expected) / wall, 1),
            "expected": expected,
            "delivered": delivered,
            "lost": expected - delivered,
            "delivery_rate": delivered / expected if expected else 1.0,
            "latency_ms": {q: percentile(self.latencies, q) for q in (50, 95, 99)}
            | {"max": max(self.latencies, default=0)},
            "server_cpu_percent": round(100 * server_cpu / wall, 1),
            "server_rss_mb": rss,
            "client_cpu_percent": round(100 * client_cpu / wall, 1),
        }

    async def _connect(self, i: int):
        try:
            ws = await websockets.connect(
                self.url, additional_headers={"Cookie": self.cookies[i]}, max_queue=None, max_size=None, open_timeout=30
            )
            return i, ws
        except (OSError, websockets.WebSocketException, TimeoutError):
            self.connect_failures += 1
            return None

    async def _read(self, i: int, ws) -> None:
        try:
            await self._frames(i, ws)
        except websockets.ConnectionClosed:
            self.closed += 1

    async def _frames(self, i: int, ws) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "chat_presence":
                self.members[i] = frame["members"]
            elif frame["type"] == "chat":
                parts = frame["text"].split("|")
                if len(parts) == 4 and parts[0] == "bench" and parts[2] == self.run_id:
                    self.received[parts[1]] = self.received.get(parts[1], 0) + 1
                    self.latencies.append(time.time() * 1000 - float(parts[3]))

    async def _chat(self, i: int, ws) -> None:
        await asyncio.sleep(random.uniform(0, self.every))  # players are not in step
        sequence = 0
        while self.sending:
            if random.random() < self.chance:
                sequence += 1
                key = f"{i}.{sequence}"
                self.expected[key] = self.members.get(i, 1)
                text = f"bench|{key}|{self.run_id}|{time.time() * 1000:.1f}"
                await ws.send(json.dumps({"type": "chat", "text": text}))
            await asyncio.sleep(self.every)
