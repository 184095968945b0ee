"""What the operators' endpoints read: the health of the database, Redis and the Celery broker
(`/healthz`), and the depth of the Celery queues (`/metrics`)."""

import time
from concurrent.futures import ThreadPoolExecutor

from celery import current_app
from django.conf import settings
from django.db import connection

from mudserver.redis_client import get_redis_probe

CHECK_SECONDS = 2.0
PROBE_SECONDS = 1  # each client's own connect and read timeout, under CHECK_SECONDS


def _database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this pool thread's own connection: never left to go stale between checks


def _redis() -> None:
    get_redis_probe(settings.REDIS_URL).ping()


def _broker() -> None:
    timeouts = {"socket_connect_timeout": PROBE_SECONDS, "socket_timeout": PROBE_SECONDS}  # kombu's Redis transport
    with current_app.connection_for_write(connect_timeout=PROBE_SECONDS, transport_options=timeouts) as broker:
        broker.ensure_connection(max_retries=0)  # one attempt: a retry would sleep first


CHECKS = {"database": _database, "redis": _redis, "broker": _broker}
# Each check runs in a thread of its own, side by side, so the report comes within CHECK_SECONDS even
# if a client hangs; a check still stuck from an earlier call makes the next one of its kind time out.
_threads = {name: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"healthz-{name}") for name in CHECKS}


def health_report() -> dict[str, str]:
    """{"status": "ok" | "error", and per check "ok" or what went wrong}."""
    deadline = time.monotonic() + CHECK_SECONDS
    running = {name: _threads[name].submit(check) for name, check in CHECKS.items()}
    report = {}
    for name, future in running.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
            report[name] = "ok"
        except Exception as error:
            if future.done():
                report[name] = f"{type(error).__name__}: {error}"[:200]
            else:
                future.cancel()  # if still queued behind a stuck one, it need not run at all
                report[name] = "timed out"
    return {"status": "ok" if all(result == "ok" for result in report.values()) else "error", **report}


def celery_queue_depths(queues: tuple[str, ...]) -> dict[str, int]:
    """Tasks waiting per queue: kombu keeps a queue in a Redis list of the same name (tasks sent with
    a priority go to sibling lists; the game sets none)."""
    pipe = get_redis_probe(settings.CELERY_BROKER_URL).pipeline(transaction=False)
    for queue in queues:
        pipe.llen(queue)
    return dict(zip(queues, pipe.execute(), strict=True))
