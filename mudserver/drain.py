"""SIGTERM drains a web process instead of dropping its players (issue 9): it stops listening, so
that the balancer sends new connections to the other web processes; lets each socket finish the
command it is handling (so every command that was answered stays done); tells its player; and
closes it with 4012 (the application's "service restart": autobahn refuses the standard 1012), on
which clients reconnect within a few seconds, through the balancer, to a process that resumes their
scene. The players do not leave the game meanwhile (GameConsumer.drain: a move, not a departure).
Then daphne stops as it would have."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0  # below the 30 s grace that compose and process managers give before SIGKILL
CLOSE_SERVICE_RESTART = 4012

draining = False


def drain_on_sigterm(sockets: Callable[[], Iterable]) -> None:
    """Once daphne's reactor runs (it installs its own handlers as it starts), put ours in place.
    `sockets` lists the live consumers, each with an awaitable `drain()`."""
    from twisted.internet import reactor

    def install() -> None:
        asyncio.get_event_loop().add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(_drain(sockets)))

    reactor.callWhenRunning(install)


async def _drain(sockets: Callable[[], Iterable]) -> None:
    global draining
    if draining:
        return
    draining = True
    from twisted.internet import reactor, tcp

    for reader in list(reactor.getReaders()):
        if isinstance(reader, tcp.Port):
            reader.stopListening()
    consumers = list(sockets())
    log.warning("draining %d sockets", len(consumers))
    if consumers:
        await _within(asyncio.gather(*(consumer.drain() for consumer in consumers), return_exceptions=True))
        await _within(_until_closed(sockets))
    reactor.stop()


async def _within(work: Awaitable) -> None:
    try:
        await asyncio.wait_for(work, DRAIN_SECONDS / 2)
    except TimeoutError:
        log.warning("drain: gave up waiting after %.0f s", DRAIN_SECONDS / 2)


async def _until_closed(sockets: Callable[[], Iterable]) -> None:
    while any(True for _socket in sockets()):
        await asyncio.sleep(0.05)
