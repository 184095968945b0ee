"""Benchmark: what a password hash costs with the configured hasher and the installed argon2 build.

    manage.py bench_hashing [--count 100]

Prints the CPU and wall time of one hash (Django's make_password, as sign-up does) and how many
hashes a second one core gives: a sign-in storm of N players a second needs N times that CPU.
"""

import time

from django.contrib.auth.hashers import get_hasher, make_password
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Time the password hash (CPU and wall per hash, hashes a second per core)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100)

    def handle(self, *args, count, **options):
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
