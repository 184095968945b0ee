"""The WebSocket's front gate, before any consumer runs: at most so many sockets open, and so many
handshakes a second, per client address (settings.GATE; nginx holds the same numbers in front).
Counts live in Redis, shared by every web process, and expire: a process that dies leaks none."""

import asyncio
import uuid

import structlog
from django.conf import settings
from redis.exceptions import RedisError

from mudserver.client_address import client_address
from mudserver.ratelimit import buckets_take
from mudserver.redis_client import get_async_redis

log = structlog.get_logger(__name__)


# Admit a socket to KEYS[1], a sorted set of an address's open sockets scored by when each count
# expires, unless ARGV[3] of them are open; ARGV: the socket's id, its expiry in ms, the cap.
_SOCKET_ADMIT = """
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
# Renew an admitted socket's count (XX: one already released stays released).
_SOCKET_RENEW = """
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


def _sockets_key(address: str) -> str:
    return f"mud:gate:sockets:{address}"


async def handshake_admit(address: str) -> str | None:
    """Count a handshake from `address` and, unless over its limits, a socket: the socket's id for
    socket_release, or None when refused."""
    gate = settings.GATE
    bucket = (f"mud:gate:handshakes:{address}", gate["HANDSHAKES_PER_SECOND"], gate["HANDSHAKE_BURST"])
    granted, _wait = await buckets_take([bucket], 1)
    if not granted:
        return None
    socket_id = uuid.uuid4().hex
    expiry_ms = gate["SOCKET_COUNT_EXPIRY"] * 1000
    admitted = await get_async_redis().eval(
        _SOCKET_ADMIT, 1, _sockets_key(address), socket_id, expiry_ms, gate["SOCKETS_PER_ADDRESS"]
    )
    return socket_id if admitted else None


async def socket_renew_loop(address: str, socket_id: str) -> None:
    expiry = settings.GATE["SOCKET_COUNT_EXPIRY"]
    while True:
        await asyncio.sleep(expiry / 3)
        try:
            await get_async_redis().eval(_SOCKET_RENEW, 1, _sockets_key(address), socket_id, expiry * 1000)
        except RedisError as error:  # away for now: renew next time, or expire
            log.warning("socket count not renewed", error=str(error))


async def socket_release(address: str, socket_id: str) -> None:
    try:
        await get_async_redis().zrem(_sockets_key(address), socket_id)
    except RedisError as error:  # it expires
        log.warning("socket count not released", error=str(error))


class AddressGate:
    """ASGI middleware in front of the game's WebSocket: refuses the handshake (HTTP 403) of an
    address over its limits, and counts the socket for as long as the application runs."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        address = client_address(scope)
        if scope["type"] != "websocket" or not address:  # unknown (a Unix socket): counted at nginx only
            return await self.app(scope, receive, send)
        try:
            socket_id = await handshake_admit(address)
        except RedisError as error:
            # Redis is away: let the consumer meet it (it tells the player); the caps hold at nginx.
            log.warning("socket gate unavailable", error=str(error))
            return await self.app(scope, receive, send)
        if socket_id is None:
            log.info("handshake refused", address=address)
            await receive()  # websocket.connect
            await send({"type": "websocket.close"})
            return None
        renew = asyncio.create_task(socket_renew_loop(address, socket_id))
        try:
            return await self.app(scope, receive, send)
        finally:
            renew.cancel()
            await socket_release(address, socket_id)
