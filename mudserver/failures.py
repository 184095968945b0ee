"""What a player is told when the server cannot do what was asked: the one place that turns an
exception into an `error` frame's code and text (PROTOCOL.md)."""

from dataclasses import dataclass

from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

try:
    import MySQLdb
except ImportError:  # the embedded run (SQLite) has no MySQL driver
    DRIVER_ERRORS: tuple[type[Exception], ...] = ()
else:
    # Raised unwrapped by the few driver calls Django does not wrap (a ping, a close).
    DRIVER_ERRORS = (MySQLdb.OperationalError, MySQLdb.InterfaceError)


class ServerBusy(Exception):
    """A queue of the moment is full (password hashing): the player may try again shortly."""


# The database went away, refused a connection or timed out: the command can be typed again. A
# session saved then (sessions are kept in the database) fails as UpdateError, which hides the cause.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, UpdateError, *DRIVER_ERRORS)


@dataclass(frozen=True)
class Failure:
    code: str
    text: str

    @property
    def expected(self) -> bool:
        """A condition of the moment (logged as a warning), not a bug (logged with its traceback)."""
        return self.code != "internal"


def failure_of(error: Exception) -> Failure:
    if isinstance(error, ServerBusy):
        return Failure("server_busy", _("The server is busy; please try again in a moment."))
    if isinstance(error, DATABASE_UNAVAILABLE):
        return Failure("server_busy", _("The game's database is unavailable right now; please try again in a moment."))
    return Failure("internal", _("Something went wrong on our side; nothing was lost. Please try again."))
