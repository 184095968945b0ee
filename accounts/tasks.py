from celery import shared_task
from celery.signals import worker_shutdown

from accounts.character_state import character_states_flush


@shared_task(ignore_result=True)
def characters_flush() -> int:
    return character_states_flush()


@worker_shutdown.connect
def characters_flush_on_shutdown(**kwargs) -> None:
    """A stopping worker writes what is pending, so a shutdown loses nothing (invariant 3)."""
    character_states_flush()
