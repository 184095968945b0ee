"""Benchmark: N simultaneous auto-battles through the real beat, Celery workers and Redis.

    manage.py bench_battles --battles 10000 --seconds 60 [--workers 1 --concurrency 2]

Creates (once) N bench characters, starts their auto-battles (offline, as idle players are),
runs celery beat and the workers as separate processes for the given time, and prints cycles per
second, cycle lag percentiles (how late each battle's cycle ran against its due time), the due
backlog (mean by third of the measured window), worker CPU and database writes per second.
Run it on an otherwise idle setup: it starts its own beat and workers.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from accounts.benchmarks import bench_characters
from accounts.character_state import DIRTY_KEY, INT_FIELDS, ROWS_WRITTEN_KEY, character_states_flush, state_key
from accounts.models import Character
from battles import services
from mudserver.benchmarks import cpu_seconds, thirds
from mudserver.percentiles import percentile
from mudserver.redis_client import get_redis

WARMUP = 5


class Command(BaseCommand):
    help = "Run N simultaneous auto-battles through beat, workers and Redis; print throughput and lag."

    def add_arguments(self, parser):
        parser.add_argument("--battles", type=int, default=1000)
        parser.add_argument("--seconds", type=int, default=30)
        parser.add_argument("--workers", type=int, default=1, help="worker processes (each with its pool)")
        parser.add_argument("--concurrency", type=int, default=2, help="pool size of each worker")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON line too")

    def handle(self, *args, battles, seconds, workers, concurrency, json: bool, **options):
        self._purge()
        ids = [character.pk for character in bench_characters(battles)]
        self._start_battles(ids)
        r = get_redis()
        r.delete(services.LAG_SAMPLES_KEY, services.CYCLES_KEY, ROWS_WRITTEN_KEY)
        processes = self._processes(workers, concurrency)
        try:
            result = self._measure(r, processes, seconds)
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
            self._stop_battles(ids)
            self._purge()
        result.update(
            battles=battles,
            seconds=seconds,
            workers=workers,
            concurrency=concurrency,
            cycle_seconds=settings.GAME["BATTLE_CYCLE_SECONDS"],
            batch=settings.GAME["BATTLE_BATCH"],
            idle_cycle_seconds=settings.GAME["BATTLE_IDLE_CYCLE_SECONDS"],
            offline_cycle_seconds=settings.GAME["BATTLE_OFFLINE_CYCLE_SECONDS"],
            flush_seconds=settings.GAME["FLUSH_INTERVAL"],
            database=settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        )
        self._report(result, as_json=json)

    def _purge(self) -> None:
        """Drop queued tasks a previous run left behind, so they do not count in this one."""
        from celery_app import app

        with app.connection_for_write() as connection:
            for queue in ("battles", "celery"):
                connection.default_channel.queue_purge(queue)

    def _start_battles(self, ids: list[int]) -> None:
        r = get_redis()
        rows = Character.objects.filter(pk__in=ids).values("pk", *INT_FIELDS)
        pipe = r.pipeline(transaction=False)
        for row in rows:
            pipe.delete(services.battle_key(row["pk"]))
            pipe.hset(state_key(row["pk"]), mapping={field: row[field] for field in INT_FIELDS})
        pipe.execute()
        for character_id in tqdm(ids, desc="starting auto-battles", unit="battle"):
            services.battle_start(character_id, dungeon=1, mode="auto")
            services.battle_offline(character_id)  # idle players: nobody to push a feed to

    def _processes(self, workers: int, concurrency: int) -> list[subprocess.Popen]:
        python, env = sys.executable, dict(os.environ)
        schedule = settings.VAR_DIR / "bench-beat-schedule"
        settings.VAR_DIR.mkdir(exist_ok=True)
        commands = [[python, "-m", "celery", "-A", "celery_app", "beat", "-l", "warning", "-s", str(schedule)]]
        commands += [
            [
                python,
                "-m",
                "celery",
                "-A",
                "celery_app",
                "worker",
                "-Q",
                "battles,celery",
                "-c",
                str(concurrency),
                "-l",
                "warning",
                "-n",
                f"bench{i}@%h",
            ]
            for i in range(workers)
        ]
        return [subprocess.Popen(command, env=env, start_new_session=True) for command in commands]

    def _measure(self, r, processes, seconds: int) -> dict:
        time.sleep(WARMUP)
        r.delete(services.LAG_SAMPLES_KEY)
        cycles0, rows0 = int(r.get(services.CYCLES_KEY) or 0), int(r.get(ROWS_WRITTEN_KEY) or 0)
        cpu0 = {p.pid: cpu_seconds(p.pid) for p in processes}
        started = time.monotonic()
        backlog = []
        for _second in tqdm(range(seconds), desc="measuring", unit="s"):
            time.sleep(max(0.0, started + _second + 1 - time.monotonic()))
            backlog.append(r.zcount(services.DUE_KEY, "-inf", services.now_ms()))
        wall = time.monotonic() - started
        lags = [int(x) for x in r.lrange(services.LAG_SAMPLES_KEY, 0, -1)]
        cycles = int(r.get(services.CYCLES_KEY) or 0) - cycles0
        cpu = {p.pid: cpu_seconds(p.pid) - cpu0[p.pid] for p in processes}
        return {
            "cycles_per_second": round(cycles / wall),
            "lag_ms": {q: percentile(lags, q) for q in (50, 95, 99)} | {"max": max(lags, default=None)},
            "lag_samples": len(lags),
            # A growing backlog shows as a later third well above the first.
            "backlog_thirds": [round(statistics.fmean(part)) if part else None for part in thirds(backlog)],
            "backlog_max": max(backlog, default=0),
            "beat_cpu_percent": round(100 * cpu[processes[0].pid] / wall, 1),
            "worker_cpu_percent": round(100 * sum(cpu[p.pid] for p in processes[1:]) / wall, 1),
            "db_rows_per_second": round((int(r.get(ROWS_WRITTEN_KEY) or 0) - rows0) / wall),
            "mean_lag_ms": round(statistics.fmean(lags), 1) if lags else None,
        }

    def _stop_battles(self, ids: list[int]) -> None:
        r = get_redis()
        pipe = r.pipeline(transaction=False)
        for character_id in ids:
            pipe.delete(services.battle_key(character_id))
            pipe.zrem(services.DUE_KEY, character_id)
        pipe.execute()
        if r.scard(DIRTY_KEY):
            character_states_flush()

    def _report(self, result: dict, *, as_json: bool) -> None:
        lag = result["lag_ms"]
        self.stdout.write(
            f"battles {result['battles']}  seconds {result['seconds']}  "
            f"workers {result['workers']}x{result['concurrency']}"
            f"  db {result['database']}  cycle {result['cycle_seconds']} s (unwatched {result['idle_cycle_seconds']} s,"
            f" offline {result['offline_cycle_seconds']} s)"
            f"  flush {result['flush_seconds']} s  batch {result['batch']}\n"
            f"cycles/s {result['cycles_per_second']}  lag p50 {lag[50]} ms  p95 {lag[95]} ms  p99 {lag[99]} ms"
            f"  max {lag['max']} ms  ({result['lag_samples']} samples)\n"
            f"due backlog (battles due but not yet advanced), mean by third of the run {result['backlog_thirds']}"
            f"  max {result['backlog_max']}\n"
            f"worker CPU {result['worker_cpu_percent']} %  beat CPU {result['beat_cpu_percent']} %"
            f"  (100 % = one core)  database writes {result['db_rows_per_second']} rows/s"
        )
        if as_json:
            self.stdout.write(json.dumps(result))
