"""A web process greets or resumes a few connections at a time (mudserver.consumers.opening_turn),
so that a crowd reconnecting after another process's restart waits its turn instead of interleaving
with every command of the players already there."""

import asyncio

from django.conf import settings

from mudserver import consumers


async def test_connections_open_a_few_at_a_time_first_come_first_served(monkeypatch):
    monkeypatch.setitem(settings.GATE, "OPENINGS_AT_ONCE", 3)
    monkeypatch.setattr(consumers, "_openings", type(consumers._openings)())
    opening, most, order = set(), [0], []
    release = asyncio.Event()

    async def _open(self) -> None:
        opening.add(self)
        most[0] = max(most[0], len(opening))
        order.append(self.number)
        await release.wait()
        opening.discard(self)

    monkeypatch.setattr(consumers.GameConsumer, "_open", _open)
    crowd = []
    for number in range(10):
        consumer = consumers.GameConsumer()
        consumer.number = number
        crowd.append(asyncio.create_task(consumer._open_in_turn()))
    while len(opening) < 3:
        await asyncio.sleep(0)
    for _ in range(20):  # the rest stay waiting however long the loop runs
        await asyncio.sleep(0)
    assert len(opening) == 3 and order == [0, 1, 2]
    release.set()
    await asyncio.gather(*crowd)
    assert most[0] == 3 and order == list(range(10))


async def test_a_drain_closes_a_connection_still_waiting_for_its_turn_without_opening_it(monkeypatch):
    from mudserver import drain

    closed, opened = [], []

    async def close(self, code=None, reason=None):
        closed.append(code)

    async def _open(self) -> None:
        opened.append(self)

    monkeypatch.setattr(consumers.GameConsumer, "close", close)
    monkeypatch.setattr(consumers.GameConsumer, "_open", _open)
    waiting = consumers.GameConsumer()
    waiting.ctx = object()  # connected: its context is made before the socket is accepted
    waiting.command_lock = asyncio.Lock()
    await waiting.command_lock.acquire()  # held while it waits for its turn, as connect does
    await waiting.drain()  # does not wait for the lock
    assert closed == [consumers.CLOSE_SERVICE_RESTART]
    monkeypatch.setattr(drain, "draining", True)
    await waiting._open_in_turn()  # its turn comes after the drain began
    assert closed == [consumers.CLOSE_SERVICE_RESTART] * 2 and opened == []
