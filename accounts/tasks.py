from celery import shared_task
from celery.signals import worker_shutdown

from accounts.character_state import character_states_flush
from accounts.rankings import rankings_ensure
from mudserver.sessions import session_store


@shared_task(ignore_result=True)
def characters_flush() -> int:
    return character_states_flush()


@shared_task(ignore_result=True)
def rankings_check() -> None:
    """The boards back after Redis lost them; the week's board expiring (accounts.rankings)."""
    rankings_ensure()


@shared_task(ignore_result=True)
def sessions_clear() -> None:
    """Sessions are kept in the database (a Redis restart loses none): drop the expired ones daily."""
    session_store().clear_expired()


@worker_shutdown.connect
def characters_flush_on_shutdown(**kwargs) -> None:
    """A stopping worker writes what is pending, so a shutdown loses nothing (invariant 3)."""
    character_states_flush()
