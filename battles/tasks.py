from celery import shared_task
from django.conf import settings

from battles.feed import cycle_told
from battles.services import battle_metrics_record, battles_cycle, battles_due_claim
from mudserver.push import tell_many_sync


@shared_task(ignore_result=True)
def battles_dispatch() -> int:
    """Beat's ticker: hand the due battles to the `battles` queue, many per task."""
    due = battles_due_claim()
    size = settings.GAME["BATTLE_BATCH"]
    for start in range(0, len(due), size):
        battles_advance.apply_async((due[start : start + size],), queue="battles")
    return len(due)


@shared_task(ignore_result=True, acks_late=True)
def battles_advance(batch: list[list[int]]) -> None:
    """Advance a batch of battles to now; pushes the feed to those watching."""
    report = battles_cycle([(character_id, due) for character_id, due in batch])
    told, routes = cycle_told(report.advanced)
    tell_many_sync(told, routes=routes)
    battle_metrics_record(report)
