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
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import structlog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import close_old_connections

from accounts.argon2_work import hashing_process_start
from mudserver.failures import ServerBusy
from mudserver.metrics import PASSWORD_HASHES

log = structlog.get_logger(__name__)


HASH_THREADS = 2  # each keeps a database connection for sign-in's user lookup (settings, CONN_MAX_AGE)
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="hash")
_pending = 0
_processes: ProcessPoolExecutor | None = None
_processes_lock = threading.Lock()
_inline = False  # set when hashing processes never started here
_started = False  # a hashing process has answered once
# A hash that waits longer than this (a machine that has not idled for that long) is not made: the
# player is told the server is busy, and the attempt is not counted.
HASH_WAIT_SECONDS = 20


def _hashing_processes() -> ProcessPoolExecutor:
    global _processes
    with _processes_lock:
        if _processes is None:
            # spawn, not fork: the web process has threads and an event loop a fork would copy mid-use.
            _processes = ProcessPoolExecutor(
                max_workers=settings.GAME["HASH_PROCESSES"],
                mp_context=multiprocessing.get_context("spawn"),
                initializer=hashing_process_start,
            )
        return _processes


def argon2_offloaded(fn, *args):
    """Blocking: `fn(*args)` (a module-level function, as it crosses to another process) in a
    hashing process; inline when HASH_PROCESSES is 0. ServerBusy after HASH_WAIT_SECONDS. A pool
    whose process died is replaced (this hash computed here if that fails too); a process that never
    could start hashing processes (its main module cannot be imported again, as from a script on
    stdin) hashes inline from then on, so that nobody's sign-in fails."""
    global _processes, _inline, _started
    if _inline or not settings.GAME["HASH_PROCESSES"]:
        return fn(*args)
    for _attempt in range(2):
        pool = _hashing_processes()
        try:
            result = pool.submit(fn, *args).result(timeout=HASH_WAIT_SECONDS)
        except TimeoutError as waited:
            raise ServerBusy from waited
        except BrokenProcessPool:
            with _processes_lock:
                if _processes is pool:
                    _processes = None
        else:
            _started = True
            return result
    if not _started:
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
