"""Each web process reads one mailbox, a Redis list that mudserver.push fills: everything told to
its players (a battle batch's feed, a chat message, a whisper, a notice, a move) arrives as one
message per process instead of one per player, in the order it was told, and is handed to the
players' connections here."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer

from mudserver.push import mailbox_of
from mudserver.redis_client import get_async_redis

log = logging.getLogger(__name__)

ItemsSink = Callable[[str, int | None, list], Awaitable[None]]


def mailbox_serve_when_running(sink: ItemsSink) -> None:
    """Once daphne's loop runs, read this process's mailbox for as long as the process lives;
    `sink(connection, character_id, items)` hands them to that connection if it still holds that
    player (None: whoever it holds)."""
    from twisted.internet import reactor

    reactor.callWhenRunning(lambda: asyncio.ensure_future(_serve(sink)))


# Below the client's socket timeout (5 s), so that an idle mailbox's wait is never taken for a dead Redis.
WAIT_SECONDS = 2


async def _serve(sink: ItemsSink) -> None:
    mailbox = mailbox_of(await get_channel_layer().new_channel())  # this process's
    while True:
        try:
            popped = await get_async_redis().blpop([mailbox], timeout=WAIT_SECONDS)
            if popped is None:
                continue
            for connection, character_id, items in json.loads(popped[1]):
                await sink(connection, character_id, items)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("mailbox: a delivery failed")
            await asyncio.sleep(1)  # Redis away: try again without spinning
