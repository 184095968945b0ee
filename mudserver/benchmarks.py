"""Helpers shared by the benchmark commands (bench_battles, bench_chat): bench characters,
percentiles and CPU accounting. Benchmarks print figures; tests never time anything."""

import os
import socket
import time
from pathlib import Path

from django.contrib.auth.hashers import make_password
from tqdm import tqdm

from accounts.models import Character, User
from accounts.progression import stats_for_level

PREFIX = "bench"
LEVEL = 30  # strong enough never to die in dungeon 1, so an auto-battle chain runs the whole time
PASSWORD = "bench123"


def bench_characters(count: int) -> list[Character]:
    """The bench characters bench1..benchN (their users selected too), created once and reused."""
    names = [f"{PREFIX}{i}" for i in range(1, count + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    missing = [name for name in names if name not in existing]
    if missing:
        password = make_password(PASSWORD)  # one hash for all: hashing is not what is measured
        stats = stats_for_level(LEVEL, 1)
        for start in tqdm(range(0, len(missing), 2000), desc="creating bench characters", unit="2k"):
            chunk = missing[start : start + 2000]
            User.objects.bulk_create([User(username=name, password=password) for name in chunk])
            users = User.objects.filter(username__in=chunk)
            Character.objects.bulk_create(
                [Character(user=user, name=user.username, level=LEVEL, exp=90_160, **stats) for user in users]
            )
    return list(Character.objects.filter(name__in=names).select_related("user").order_by("pk"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def thirds(values: list[int]) -> list[list[int]]:
    size = max(1, len(values) // 3)
    return [values[:size], values[size : 2 * size], values[2 * size :]]


def cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in a process group (from /proc)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def services_usage() -> dict[str, float]:
    """Counters of the shared services, for per-second and per-action rates between two readings:
    Redis CPU and commands (INFO), MariaDB CPU (its process, when local) and statements."""
    from django.db import connection

    from mudserver.redis_client import get_redis

    info = get_redis().info()
    usage = {
        "redis_cpu_s": info["used_cpu_user"] + info["used_cpu_sys"],
        "redis_commands": info["total_commands_processed"],
    }
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Questions'")
            usage["db_statements"] = int(cursor.fetchone()[1])
        usage["db_cpu_s"] = sum(_process_cpu_seconds(pid) for pid in _pids_named("mariadbd", "mysqld"))
    return usage


def _pids_named(*names: str) -> list[int]:
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in names:
                pids.append(int(comm.parent.name))
        except OSError:
            continue
    return pids


def _process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")
