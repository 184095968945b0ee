from celery import shared_task

from chat.services import chat_log_flush, presence_sweep


@shared_task(ignore_result=True)
def chat_log_flush_task() -> int:
    return chat_log_flush()


@shared_task(ignore_result=True)
def presence_sweep_task() -> int:
    return presence_sweep()
