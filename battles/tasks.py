from celery import shared_task
from django.conf import settings

from battles.catalog import catalog_get
from battles.feed import cycle_frames
from battles.services import battle_metrics_record, battles_cycle, battles_due_claim
from mudserver.push import players_frames_deliver_sync


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
    connections = {item.character_id: item.channel for item, _change in report.advanced}
    players_frames_deliver_sync(cycle_frames(report.advanced, catalog_get().content), connections)
    battle_metrics_record(report)
