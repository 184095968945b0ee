from asgiref.sync import async_to_sync
from celery import shared_task

from arena.services import match_start, match_status, room_close

STATUS_EVERY = 10


@shared_task(ignore_result=True)
def arena_match_start(rid: str) -> None:
    async_to_sync(match_start)(rid)
    arena_status_tick.apply_async((rid,), countdown=STATUS_EVERY)


@shared_task(ignore_result=True)
def arena_status_tick(rid: str) -> None:
    if async_to_sync(match_status)(rid):
        arena_status_tick.apply_async((rid,), countdown=STATUS_EVERY)


@shared_task(ignore_result=True)
def arena_room_close(rid: str) -> None:
    async_to_sync(room_close)(rid)
