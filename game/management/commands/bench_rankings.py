"""Benchmark: the rankings' cost per `top` request and per change (issue 17), on the boards as they
are (seed and rebuild first: `seed_users --count 2000000`, `rebuild_rankings`).

    manage.py bench_rankings [--requests 2000] [--characters 2000] [--rounds 20]

`top`: the whole command (`top <board> <page>` for random boards, pages and players), sequentially
from one event loop, and the Redis part of it alone. A change: the hot-state store's many-character
mutate, as a battle worker's cycle calls it, in batches of BATTLE_BATCH, alternating rounds that
change fields on no board (hp, mp) and fields on boards (exp, kills: the level, kills and week
boards); the difference is what the boards cost a change, in client time and in Redis's own CPU.
The characters' hot states are loaded first and dropped after (their boards keep the changes).
"""

import random
import statistics
import time

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.boards import board_key, week_of
from accounts.character_state import (
    DIRTY_KEY,
    Write,
    character_state_drop,
    character_state_ensure,
    characters_mutate_sync,
)
from accounts.models import Character
from game.top import global_top
from mudserver.clock import now_ms
from mudserver.percentiles import percentile
from mudserver.redis_client import get_async_redis, get_redis
from mudserver.router import Context

BOARDS = ("level", "kills", "arena", "week")


def _command_usec() -> dict[str, tuple[int, int]]:
    """Redis's own (calls, microseconds) per command, scripts' inner calls included."""
    stats = get_redis().info("commandstats")
    return {name.removeprefix("cmdstat_"): (v["calls"], v["usec"]) for name, v in stats.items()}


def _redis_cpu() -> float:
    info = get_redis().info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


class Command(BaseCommand):
    help = "Time `top` requests and the boards' extra cost per character change."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=2000)
        parser.add_argument("--characters", type=int, default=2000)
        parser.add_argument("--rounds", type=int, default=20)

    def handle(self, *args, **options):
        ids = list(Character.objects.order_by("?").values_list("pk", flat=True)[: options["characters"]])
        self._requests(options["requests"], ids)
        self._changes(ids, options["rounds"])

    def _requests(self, count: int, ids: list[int]) -> None:
        week = week_of(now_ms())
        sizes = {board: get_redis().zcard(board_key(board, week)) for board in BOARDS}
        plan = [(random.choice(BOARDS), random.choice(ids)) for _ in range(count)]
        plan = [(board, 1 + random.randrange(max(1, sizes[board] // 10)), cid) for board, cid in plan]

        async def run() -> tuple[list[float], list[float]]:
            whole, redis_only = [], []
            redis = get_async_redis()
            for board, page, cid in plan:
                ctx = Context(connection=None, lang="en", character_id=cid)
                started = time.perf_counter()
                await global_top(ctx, f"{board} {page}")
                whole.append(time.perf_counter() - started)
                key, start = board_key(board, week), (page - 1) * 10
                started = time.perf_counter()
                pipe = redis.pipeline(transaction=False)
                pipe.zcard(key).zrevrange(key, start, start + 9, withscores=True).zrevrank(key, cid).zscore(key, cid)
                await pipe.execute()
                redis_only.append(time.perf_counter() - started)
            return whole, redis_only

        cpu = _redis_cpu()
        whole, redis_only = async_to_sync(run)()
        cpu = _redis_cpu() - cpu
        self.stdout.write(f"boards: {sizes}")
        for label, times in (("top (whole command)", whole), ("top's Redis round trip", redis_only)):
            ms = sorted(t * 1000 for t in times)
            self.stdout.write(
                f"{label}: {len(ms)} requests, mean {statistics.fmean(ms):.3f} ms, p50 {percentile(ms, 50):.3f}, "
                f"p95 {percentile(ms, 95):.3f}, p99 {percentile(ms, 99):.3f} ms"
            )
        self.stdout.write(f"Redis CPU for both: {cpu * 1e6 / len(plan):.1f} us a request")

    def _changes(self, ids: list[int], rounds: int) -> None:
        characters = list(Character.objects.filter(pk__in=ids))

        async def load():
            for character in characters:
                await character_state_ensure(character)

        async_to_sync(load)()
        batch = settings.GAME["BATTLE_BATCH"]

        def unranked(snapshot):
            return Write({"hp": snapshot.state["hp"] ^ 1, "mp": snapshot.state["mp"] ^ 1}), None

        def ranked(snapshot):
            return Write({"exp": snapshot.state["exp"] + 1, "kills": snapshot.state["kills"] + 1}), None

        measured = {"no board": ([], []), "boards": ([], [])}
        before = _command_usec()
        for _ in range(rounds):
            for label, step in (("no board", unranked), ("boards", ranked)):
                cpu, started = _redis_cpu(), time.perf_counter()
                for start in range(0, len(ids), batch):
                    characters_mutate_sync(ids[start : start + batch], step)
                measured[label][0].append((time.perf_counter() - started) / len(ids))
                measured[label][1].append((_redis_cpu() - cpu) / len(ids))
        for label, (wall, cpu) in measured.items():
            self.stdout.write(
                f"change ({label}), per character in batches of {batch}: client wall median "
                f"{statistics.median(wall) * 1e6:.1f} us, Redis CPU median {statistics.median(cpu) * 1e6:.1f} us"
            )
        after = _command_usec()
        for name in ("zadd", "hset", "evalsha"):
            calls = after.get(name, (0, 0))[0] - before.get(name, (0, 0))[0]
            usec = after.get(name, (0, 0))[1] - before.get(name, (0, 0))[1]
            self.stdout.write(f"Redis {name} meanwhile: {calls} calls, {usec / max(calls, 1):.2f} us a call (server)")
        extra = statistics.median(measured["boards"][0]) - statistics.median(measured["no board"][0])
        self.stdout.write(f"the boards' extra wall time per change: {extra * 1e6:.1f} us")

        async def drop():
            for cid in ids:
                await character_state_drop(cid)

        async_to_sync(drop)()
        get_redis().srem(DIRTY_KEY, *ids)
