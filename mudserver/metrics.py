"""Prometheus metrics, all defined here once per process (a test process that starts many consumers
shares them). Each process is scraped on its own (README, "Operating it"):

- web (daphne): `/metrics` on the game's port — its sockets, commands and chat, and the depth of the
  Celery queues, read from the broker at scrape time.
- Celery worker: the main process serves METRICS_PORT. Tasks run in the prefork pool's children, so
  the worker runs prometheus_client's multiprocess mode: every child writes its values to files in
  PROMETHEUS_MULTIPROC_DIR and the main process sums them at scrape time; one port per worker, and
  counters survive a replaced child (mudserver.celery_signals).
- beat: METRICS_PORT, the default process metrics only.

Metrics of the other kinds of process show as zeros where they are not used.
"""

import functools
import os

import redis
import structlog
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily

from mudserver.health import celery_queue_depths

log = structlog.get_logger(__name__)
disable_created_metrics()  # the *_created series only double the output; rate() needs none of them
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Multiprocess mode writes a file there for each metric as it is defined below.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# --- web (daphne)
# The gauges are read from the consumers at scrape time (mudserver.consumers); livesum only
# matters in the worker's multiprocess mode, where these stay at zero.
WEBSOCKET_CONNECTIONS = Gauge(
    "mud_websocket_connections", "Open game WebSockets on this web process.", multiprocess_mode="livesum"
)
CONNECTED_PLAYERS = Gauge(
    "mud_connected_players", "WebSockets signed in to a character on this web process.", multiprocess_mode="livesum"
)
COMMANDS = Counter(
    "mud_commands_total", 'Command and chat frames handled, by the scene typed in (chat: scene="chat").', ["scene"]
)
COMMAND_SECONDS = Histogram(
    "mud_command_seconds",
    'Time to handle a command or chat frame, by scene (chat frames: scene="chat").',
    ["scene"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CHAT_MESSAGES = Counter("mud_chat_messages_total", "Chat messages sent to a channel or whispered.")

# --- Celery worker
BATTLE_CYCLES = Counter("mud_battle_cycles_total", "Battle cycles run: one per battle advanced.")
BATTLE_CYCLE_LAG = Histogram(
    "mud_battle_cycle_lag_seconds",
    "How late a battle's cycle ran after the time it was due.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TASKS = Counter("mud_celery_tasks_total", "Celery tasks run, by task and final state.", ["task", "state"])
TASK_SECONDS = Histogram(
    "mud_celery_task_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# Wherever passwords are hashed (web processes: sign-ins, sign-ups, account deletions, admin logins)
PASSWORD_HASHES = Counter(
    "mud_password_hashes_total", "Password hashes and checks run on the bounded hashing pool (accounts.passwords)."
)
# Wherever characters are written (the worker's flush, a web process's sign-out)
CHARACTER_WRITES_SET_ASIDE = Counter(
    "mud_character_writes_set_aside_total",
    "Character writes the database refused, set aside for a game master (admin: unsaved character writes).",
)

CELERY_QUEUES = ("celery", "battles")


@functools.cache
def _command_series(scene: str) -> tuple:
    """The two series of a scene, looked up once (scene names are a fixed set): `labels()` takes
    a lock and builds a key on every call, on every command."""
    return COMMANDS.labels(scene), COMMAND_SECONDS.labels(scene)


def command_observe(scene: str, seconds: float) -> None:
    count, duration = _command_series(scene)
    count.inc()
    duration.observe(seconds)


def battle_lags_observe(lags_ms: list[int]) -> None:
    BATTLE_CYCLES.inc(len(lags_ms))
    for lag in lags_ms:
        BATTLE_CYCLE_LAG.observe(lag / 1000)


class QueueDepthCollector:
    """mud_celery_queue_depth{queue}: tasks waiting in each Celery queue, read when scraped."""

    NAME, HELP = "mud_celery_queue_depth", "Tasks waiting in a Celery queue of the broker."

    def describe(self):
        # Registration asks for the names; without describe() it would read the broker at import.
        return [GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])]

    def collect(self):
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])
        try:
            depths = celery_queue_depths(CELERY_QUEUES)
        except redis.RedisError as error:
            log.warning("queue depth unavailable", error=str(error))  # the rest of the scrape still answers
            return
        for queue, depth in depths.items():
            family.add_metric([queue], depth)
        yield family


REGISTRY.register(QueueDepthCollector())
