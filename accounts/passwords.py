"""Password hashing off the event loop, on a small bounded pool.

A hash costs ~10 ms of CPU (argon2 built with AVX2 by bin/argon2-native; ~20 ms with PyPI's
generic wheel); a sign-in storm must queue here, not freeze every socket. When the
queue is too long the player is told the server is busy instead of waiting without end.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import close_old_connections

from mudserver.failures import ServerBusy
from mudserver.metrics import PASSWORD_HASHES


def _yield_to_play() -> None:
    """Hashing threads take only CPU time nobody playing wants (Linux's SCHED_IDLE, for this
    thread alone): a player's command that wakes up preempts a hash at once, and in a sign-in storm
    on a busy machine the sign-ins wait a little longer instead of everyone. 2,000-player sign-in
    minutes (docs/PERFORMANCE.md): the game's p95 223 and 229 ms at SCHED_IDLE, 380 and 480 ms at
    nice 10, with sign-ins no slower. If the machine never idles, sign-ins queue up to
    HASH_QUEUE_LIMIT and then are told the server is busy."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


HASH_THREADS = 2  # each keeps a database connection for sign-in's user lookup (settings, CONN_MAX_AGE)
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="hash", initializer=_yield_to_play)
_pending = 0


async def run_hashing(fn, *args):
    global _pending
    if _pending >= settings.GAME["HASH_QUEUE_LIMIT"]:
        raise ServerBusy
    _pending += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, _with_fresh_connections, fn, *args)
    finally:
        _pending -= 1


def _with_fresh_connections(fn, *args):
    """Sign-in reads the user in a hashing thread: as database_sync_to_async does for the database
    thread, drop this thread's connection when it broke or aged, so that one the database cut
    (a restart, an outage) is replaced instead of failing every later sign-in."""
    close_old_connections()
    PASSWORD_HASHES.inc()
    try:
        return fn(*args)
    finally:
        close_old_connections()


async def password_hash(password: str) -> str:
    return await run_hashing(make_password, password)
