"""Celery's side of logs and metrics, connected wherever the Celery app loads (web, worker, beat):
Django's logging stays in force, the command id travels with the tasks a command publishes, and
workers count their tasks and serve their metrics (mudserver.metrics says how)."""

import logging
import os
import time
from pathlib import Path

import structlog
from celery import signals
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from mudserver import metrics
from mudserver.logs import current_command_id, new_command_id

log = structlog.get_logger(__name__)

COMMAND_ID_HEADER = "command_id"
_metrics_server = None  # this process's metrics HTTP server, once it serves
_running: dict[str, tuple[dict, float]] = {}  # task id -> (log context tokens, start time)


@signals.setup_logging.connect
def _logging_keep(loglevel=None, **_kwargs):
    """Answering this signal stops Celery from replacing the root logger's handlers: Django's LOGGING
    (mudserver.logs) stays in force, at the level given to Celery's `-l`."""
    if loglevel:
        logging.getLogger().setLevel(loglevel)


# --- the command id across processes


@signals.before_task_publish.connect
def _command_id_send(headers=None, **_kwargs):
    """A task carries the id of the command (or task) that published it; beat's get a fresh one."""
    headers.setdefault(COMMAND_ID_HEADER, current_command_id() or new_command_id())


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **_kwargs):
    command_id = getattr(task.request, COMMAND_ID_HEADER, None) or current_command_id() or new_command_id()
    tokens = structlog.contextvars.bind_contextvars(command_id=command_id, task=task.name, task_id=task_id)
    _running[task_id] = (tokens, time.monotonic())


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_kwargs):
    tokens, started = _running.pop(task_id)
    structlog.contextvars.reset_contextvars(**tokens)
    metrics.TASKS.labels(task.name, state or "UNKNOWN").inc()
    metrics.TASK_SECONDS.labels(task.name).observe(time.monotonic() - started)


# --- metrics servers


def _serve(port: int, registry: CollectorRegistry) -> None:
    global _metrics_server
    address = os.environ.get("METRICS_ADDR", "0.0.0.0")
    _metrics_server, _thread = start_http_server(port, addr=address, registry=registry)
    log.info("metrics served", port=port)


@signals.worker_init.connect
def _worker_metrics_serve(**_kwargs):
    """The worker's main process serves the sum of what its pool children recorded."""
    port, directory = os.environ.get("METRICS_PORT"), os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not port:
        return
    if not directory:
        log.error("worker metrics off: METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR, a directory of this worker's")
        return
    # Files of an earlier run of this worker would be summed with this one's. Only this process exists
    # yet (the pool forks later) and it has already written its own (at zero, when the metrics loaded).
    mine = f"_{os.getpid()}.db"
    for path in Path(directory).glob("*.db"):
        if not path.name.endswith(mine):
            path.unlink(missing_ok=True)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    _serve(int(port), registry)


@signals.worker_process_init.connect
def _inherited_listener_close(**_kwargs):
    """A pool child inherits the main process's listening socket; left open, it would keep the port
    taken by a child that outlives its parent."""
    if _metrics_server is not None:
        _metrics_server.socket.close()


@signals.beat_init.connect
def _beat_metrics_serve(**_kwargs):
    """Beat: the default process metrics. Beat embedded in a worker (`-B`) leaves the port to it."""
    port = os.environ.get("METRICS_PORT")
    if not port or _metrics_server is not None:
        return
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    _serve(int(port), registry)
