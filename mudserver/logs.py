"""Structured logs: one JSON object per line (or a readable console line in development) for both
structlog and stdlib loggers, and the command id that ties together every line a command causes.

Django applies `settings.LOGGING` through `configure` (LOGGING_CONFIG); Celery processes keep that
configuration (mudserver.celery_signals answers Celery's `setup_logging`).
"""

import logging.config
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

# Added to every line, whether it comes from structlog or from a stdlib logger (Django, Celery, ...);
# merge_contextvars brings in the command id and whatever else is bound for the current command.
_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

_RENDERERS = {
    "json": lambda: [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)],
    "console": lambda: [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())],
}


def formatter(renderer: str) -> structlog.stdlib.ProcessorFormatter:
    """The logging formatter of `settings.LOGGING` (`LOG_FORMAT`: json or console)."""
    if renderer not in _RENDERERS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(_RENDERERS)}, not {renderer!r}")
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_RENDERERS[renderer]()],
    )


def configure(logging_settings: dict) -> None:
    """LOGGING_CONFIG: structlog hands its events to the stdlib handlers, which render every line."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # first: a disabled level costs almost nothing
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(logging_settings)


def new_command_id() -> str:
    # A log correlation id, never a secret: the process's PRNG, not a getrandom() system call per
    # command (2 % of a busy web process's event loop under the load test).
    return f"{random.getrandbits(48):012x}"


def current_command_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("command_id")


@contextmanager
def command_logging(**fields) -> Iterator[str]:
    """Bind a fresh command id (and `fields`) to every log line until the block ends; yields the id."""
    command_id = new_command_id()
    tokens = structlog.contextvars.bind_contextvars(command_id=command_id, **fields)
    try:
        yield command_id
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
