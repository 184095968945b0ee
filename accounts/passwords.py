"""Password hashing off the event loop, on a small bounded pool.

A hash costs ~23 ms of CPU; a sign-in storm must queue here, not freeze every socket. When the
queue is too long the player is told the server is busy instead of waiting without end.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import close_old_connections

# On Linux a thread's own (setpriority affects the calling thread only). In 2,000-player runs
# (docs/PERFORMANCE.md) 5 let the sign-in minute slow everyone (p95 1.1-1.3 s in it) and 19 starved
# the hashes (sign-ins waiting past 10 s); 10 kept both (p95 143 ms over the run, none failed).
HASHING_NICENESS = 10


def _yield_to_play() -> None:
    """Hashing threads run at a lower CPU priority: in a sign-in storm on a busy machine, the
    commands of players already in the game keep the CPU and the sign-ins wait a little longer."""
    os.setpriority(os.PRIO_PROCESS, 0, HASHING_NICENESS)


_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hash", initializer=_yield_to_play)
_pending = 0


class ServerBusy(Exception):
    pass


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
    try:
        return fn(*args)
    finally:
        close_old_connections()


async def password_hash(password: str) -> str:
    return await run_hashing(make_password, password)
