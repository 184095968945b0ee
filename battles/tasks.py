from celery import shared_task
from django.conf import settings

from battles.catalog import catalog_get
from battles.feed import cycle_frames
from battles.services import battle_metrics_record, battles_cycle, battles_due_claim
from mudserver.push import players_frames_deliver_sync, players_frames_send_sync


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
    frames = cycle_frames(report.advanced, catalog_get().content)
    # A connected player the cycle moved (a death, the next encounter) hears of it through their
    # group, in turn with their commands (mudserver.push.players_frames_send); the rest in bulk.
    moves = {item.character_id: change.scene for item, change in report.advanced if change.scene and item.online}
    players_frames_send_sync({character_id: frames.pop(character_id, []) for character_id in moves}, moves)
    players_frames_deliver_sync(frames, connections)
    battle_metrics_record(report)
