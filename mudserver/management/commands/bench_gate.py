"""Benchmark: what the gate every client frame passes costs (mudserver.ratelimit.FrameBudget, then
mudserver.protocol.frame_parse), in this process against the configured Redis.

    manage.py bench_gate [--frames 100000]

Prints the CPU a frame for the parse alone, the budget alone (the connection's own bucket, and one
Redis call per FRAME_LEASE frames for the account's and address's buckets), both together, a Redis
call for comparison, and an oversized frame's refusal. The buckets are made limitless here, so that
every frame is let through and the cost of passing is what is measured.
"""

import asyncio
import json
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import override_settings

from mudserver.protocol import BadFrame, frame_parse
from mudserver.ratelimit import FrameBudget
from mudserver.redis_client import get_async_redis

FRAMES = [json.dumps({"type": "command", "line": "status"}), json.dumps({"type": "ping"})]
LIMITLESS = {
    "COMMAND_RATE": 1e9,
    "COMMAND_BURST": 10**9,
    "ACCOUNT_FRAME_RATE": 1e9,
    "ACCOUNT_FRAME_BURST": 10**9,
    "ADDRESS_FRAME_RATE": 1e9,
    "ADDRESS_FRAME_BURST": 10**9,
}


def cpu_us_each(count: int, started: float) -> float:
    return (time.process_time() - started) * 1e6 / count


class Command(BaseCommand):
    help = "Time the per-frame gate: parse, budget (with its leased Redis calls), both; CPU a frame."

    def add_arguments(self, parser):
        parser.add_argument("--frames", type=int, default=100_000)

    def handle(self, *args, frames, **options):
        with override_settings(GAME={**settings.GAME, **LIMITLESS}):
            asyncio.run(self._run(frames))

    async def _run(self, count: int) -> None:
        address, user_id = f"bench-{uuid.uuid4().hex}", -1  # buckets of their own, expiring
        started = time.process_time()
        for i in range(count):
            frame_parse(FRAMES[i & 1], None)
        parse = cpu_us_each(count, started)
        budget = FrameBudget(address)
        started = time.process_time()
        for _ in range(count):
            await budget.take(user_id)
        alone = cpu_us_each(count, started)
        budget = FrameBudget(address)
        started = time.process_time()
        for i in range(count):
            await budget.take(user_id)
            frame_parse(FRAMES[i & 1], None)
        both = cpu_us_each(count, started)
        redis = get_async_redis()
        calls = max(count // 20, 100)
        started = time.process_time()
        for _ in range(calls):
            await redis.get(address)
        redis_call = cpu_us_each(calls, started)
        oversized = json.dumps({"type": "command", "line": "가" * 3000}, ensure_ascii=False)  # 9 KB of UTF-8
        started = time.process_time()
        for _ in range(calls):
            try:
                frame_parse(oversized, None)
            except BadFrame:
                pass
        refused = cpu_us_each(calls, started)
        lease = settings.GAME["FRAME_LEASE"]
        self.stdout.write(
            f"{count} frames, lease {lease}: parse {parse:.1f} µs, budget {alone:.1f} µs, parse and budget "
            f"{both:.1f} µs CPU a frame; a Redis GET {redis_call:.1f} µs; a 9 KB frame refused in {refused:.1f} µs"
        )
