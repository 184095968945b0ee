"""Helpers shared by the benchmark commands (bench_battles, bench_chat, loadtest): CPU and memory
accounting. Benchmarks print figures; tests never time anything. Only benchmark commands import this
(an import-linter contract)."""

import os
from pathlib import Path


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
