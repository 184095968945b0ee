"""A connection's heartbeat outlives Redis errors (issue 9: Redis restarting under the players)."""

import asyncio

from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

from mudserver import consumers


async def test_the_heartbeat_goes_on_after_a_redis_error(monkeypatch):
    beats = []

    async def heartbeat(*, user_id: int, character_id: int) -> None:
        beats.append(character_id)
        if len(beats) == 1:
            raise RedisConnectionError("Connection closed by server.")

    monkeypatch.setattr(consumers, "heartbeat", heartbeat)
    monkeypatch.setitem(settings.GAME, "HEARTBEAT_SECONDS", 0.01)
    consumer = consumers.GameConsumer()
    consumer.groups = set()
    task = asyncio.create_task(consumer._beat(3, 7))
    async with asyncio.timeout(5):
        while len(beats) < 3:
            await asyncio.sleep(0.01)
    assert not task.done()
    task.cancel()
