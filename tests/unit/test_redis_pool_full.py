"""A web process's Redis pool at its cap is not Redis lost: one connection's call fails, and the
process does not send every player away (issue 16: at a thousand sockets closing at once, the
pool's "Too many connections" reconnected every player of the process)."""

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError

from mudserver import consumers


def _failing_beside_others(monkeypatch, error: Exception):
    """A consumer whose socket loop fails with `error`, beside three live ones; and the list of
    the consumers that will be told Redis was lost."""
    told = []

    async def redis_lost(self) -> None:
        told.append(self)

    async def socket_loop(self, scope, receive, send):
        raise error

    monkeypatch.setattr(consumers.GameConsumer, "redis_lost", redis_lost)
    monkeypatch.setattr(AsyncWebsocketConsumer, "__call__", socket_loop)
    others = {consumers.GameConsumer() for _ in range(3)}
    monkeypatch.setattr(consumers, "_consumers", set(others))
    return consumers.GameConsumer(), others, told


async def test_a_full_pool_ends_the_one_connection_and_the_others_play_on(monkeypatch):
    failing, _others, told = _failing_beside_others(monkeypatch, MaxConnectionsError("Too many connections"))
    with pytest.raises(MaxConnectionsError):
        await failing({"type": "websocket"}, None, None)
    assert told == []


async def test_redis_gone_sends_every_player_to_reconnect(monkeypatch):
    failing, others, told = _failing_beside_others(monkeypatch, RedisConnectionError("Connection closed by server."))
    await failing({"type": "websocket"}, None, None)
    assert set(told) == others | {failing}
