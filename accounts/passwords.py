"""Password hashing off the event loop, on a small bounded pool.

A hash costs ~10 ms of CPU (argon2 built with AVX2 by bin/argon2-native; ~20 ms with PyPI's
generic wheel); a sign-in storm must queue here, not freeze every socket. When the
queue is too long the player is told the server is busy instead of waiting without end.

Two layers: hashing threads run a sign-in's blocking steps (the user's lookup, Django's password
check) at the process's normal priority, and the argon2 computation itself runs in hashing
processes that take only CPU time nobody playing wants (`argon2_offloaded`).
"""

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import structlog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import close_old_connections

from mudserver.failures import ServerBusy
from mudserver.metrics import PASSWORD_HASHES

log = structlog.get_logger(__name__)


def _yield_to_play() -> None:
    """A hashing process takes only CPU time nobody playing wants (Linux's SCHED_IDLE): a player's
    command that wakes up preempts a hash at once, and in a sign-in storm on a busy machine the
    sign-ins wait a little longer instead of everyone. A process, not a thread of the web process:
    a SCHED_IDLE thread that holds the web process's GIL when the machine is busy is scheduled
    again only when a core idles, and the event loop waits for the GIL that long (a priority
    inversion: docs/PERFORMANCE.md, session 8). If the machine never idles, sign-ins queue up to
    HASH_QUEUE_LIMIT and then are told the server is busy."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


HASH_THREADS = 2  # each keeps a database connection for sign-in's user lookup (settings, CONN_MAX_AGE)
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="hash")
_pending = 0
_processes: ProcessPoolExecutor | None = None
_processes_lock = threading.Lock()
_inline = False  # set when hashing processes cannot start here


def _hashing_processes() -> ProcessPoolExecutor:
    global _processes
    with _processes_lock:
        if _processes is None:
            # spawn, not fork: the web process has threads and an event loop a fork would copy mid-use.
            _processes = ProcessPoolExecutor(
                max_workers=settings.GAME["HASH_PROCESSES"],
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_yield_to_play,
            )
        return _processes


def argon2_offloaded(fn, *args):
    """Blocking: `fn(*args)` (a module-level function, as it crosses to another process) in a
    hashing process; inline when HASH_PROCESSES is 0. A pool whose process died is replaced once;
    a process that cannot start hashing processes at all (its main module cannot be imported again,
    as from a script on stdin) hashes inline from then on, so that nobody's sign-in fails."""
    global _processes, _inline
    if _inline or not settings.GAME["HASH_PROCESSES"]:
        return fn(*args)
    for _attempt in range(2):
        pool = _hashing_processes()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            with _processes_lock:
                if _processes is pool:
                    _processes = None
    _inline = True
    log.warning("hashing processes cannot start: argon2 runs in the hashing threads")
    return fn(*args)


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
