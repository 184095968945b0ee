from celery import shared_task

from accounts.character_state import character_states_flush


@shared_task(ignore_result=True)
def characters_flush() -> int:
    return character_states_flush()
