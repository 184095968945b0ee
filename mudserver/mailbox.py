"""Each web process reads one mailbox (mudserver.push.players_frames_deliver): a battle batch's feed
arrives as one message per process instead of one per player, and is handed to the players' sockets
here."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer

from mudserver.push import mailbox_of

log = logging.getLogger(__name__)

FramesSink = Callable[[int, list[str]], Awaitable[None]]


def mailbox_serve_when_running(sink: FramesSink) -> None:
    """Once daphne's loop runs, read this process's mailbox for as long as the process lives;
    `sink(character_id, texts)` sends to that player's socket if it is here."""
    from twisted.internet import reactor

    reactor.callWhenRunning(lambda: asyncio.ensure_future(_serve(sink)))


async def _serve(sink: FramesSink) -> None:
    layer = get_channel_layer()
    mailbox = mailbox_of(await layer.new_channel())  # this process's
    while True:
        try:
            message = await layer.receive(mailbox)
            for character_id, texts in message["players"]:
                await sink(character_id, texts)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("mailbox: a delivery failed")
            await asyncio.sleep(1)  # Redis away: try again without spinning
