"""Benchmark: what a password hash costs, and what a sign-in storm does to the event loop.

    manage.py bench_hashing [--count 100]
    manage.py bench_hashing --stall [--seconds 15] [--burners 3] [--rate 17]

The first prints the CPU and wall time of one hash (Django's make_password, as sign-up does, computed
in this process) and how many hashes a second one core gives: a sign-in storm of N players a second
needs N times that CPU.

`--stall` saturates the machine with busy processes and runs an event loop that wakes every 5 ms
and works 0.3 ms, while `--rate` sign-ins a second (1 ms of Python, a hash, 0.5 ms of Python) run
beside it, once as the hashing was before session 8 (a SCHED_IDLE thread of the same process,
argon2 inline) and once as accounts.passwords does it now (a thread at normal priority, argon2 in
a SCHED_IDLE process). It prints how late the loop woke: a web process's event loop under a
sign-in storm on a busy machine.
"""

import asyncio
import multiprocessing
import os
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
from django.core.management.base import BaseCommand
from django.test import override_settings

from accounts import passwords
from mudserver.percentiles import percentile


def _idle_thread() -> None:
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _burn() -> None:
    while True:
        pass


def _python_for(ms: float) -> None:
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass


def _signin(done: list) -> None:
    _python_for(1.0)  # the user's lookup and Django's code around the hash
    make_password("password")
    _python_for(0.5)
    done.append(1)


async def _loop_lateness(seconds: float, rate: float, threads: ThreadPoolExecutor, done: list) -> list[float]:
    loop = asyncio.get_running_loop()
    stop = time.perf_counter() + seconds
    lateness: list[float] = []

    async def arrivals() -> None:
        while time.perf_counter() < stop:
            loop.run_in_executor(threads, _signin, done)
            await asyncio.sleep(1 / rate)

    feeding = asyncio.create_task(arrivals())
    while time.perf_counter() < stop:
        woke = time.perf_counter()
        await asyncio.sleep(0.005)
        lateness.append((time.perf_counter() - woke - 0.005) * 1000)
        _python_for(0.3)  # a command's work
    await feeding
    return lateness


class Command(BaseCommand):
    help = "Time the password hash (CPU and wall per hash, hashes a second per core); --stall: the loop's lateness."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100)
        parser.add_argument("--stall", action="store_true")
        parser.add_argument("--seconds", type=float, default=15)
        parser.add_argument("--burners", type=int, default=3)
        parser.add_argument("--rate", type=float, default=17)

    def handle(self, *args, count, stall, seconds, burners, rate, **options):
        if stall:
            self._stall(seconds, burners, rate)
        else:
            self._cost(count)

    def _cost(self, count: int) -> None:
        with override_settings(GAME={**settings.GAME, "HASH_PROCESSES": 0}):  # this process's CPU is timed
            make_password("warm-up")
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(count):
                make_password(f"password-{i}")
            cpu_ms = (time.process_time() - cpu) * 1000 / count
            wall_ms = (time.perf_counter() - wall) * 1000 / count
        hasher = get_hasher()
        params = hasher.params()
        self.stdout.write(
            f"{hasher.algorithm} (argon2id m={params.memory_cost} KiB, t={params.time_cost}, p={params.parallelism}): "
            f"{cpu_ms:.1f} ms CPU, {wall_ms:.1f} ms wall a hash; {1000 / cpu_ms:.0f} hashes/s per core"
        )

    def _stall(self, seconds: float, burners: int, rate: float) -> None:
        make_password("warm-up")  # the hashing processes start before anything is timed
        designs = [
            ("SCHED_IDLE hashing thread, argon2 inline (before)", True, _idle_thread),
            ("hashing thread, argon2 in a SCHED_IDLE process (now)", False, None),
        ]
        for name, inline, initializer in designs:
            busy = [multiprocessing.get_context("fork").Process(target=_burn, daemon=True) for _ in range(burners)]
            for process in busy:
                process.start()
            threads = ThreadPoolExecutor(passwords.HASH_THREADS, initializer=initializer)
            done: list = []
            processes = 0 if inline else settings.GAME["HASH_PROCESSES"]
            try:
                with override_settings(GAME={**settings.GAME, "HASH_PROCESSES": processes}):
                    lateness = asyncio.run(_loop_lateness(seconds, rate, threads, done))
            finally:
                for process in busy:
                    process.kill()
                threads.shutdown(wait=True)
            stalls = [ms for ms in lateness if ms > 50]
            self.stdout.write(
                f"{name}: {len(lateness)} wake-ups, late p50 {percentile(lateness, 50):.1f} "
                f"p99 {percentile(lateness, 99):.1f} max {max(lateness):.1f} ms, {len(stalls)} over 50 ms "
                f"({sum(stalls) / 1000:.1f} s in all); {len(done)} sign-ins done "
                f"({burners} busy processes on {os.cpu_count()} cores, {rate:g} sign-ins/s)"
            )
