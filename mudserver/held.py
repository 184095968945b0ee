"""Values held in each process's memory, with one invalidation rule for all of them.

A `Held` names a version counter in Redis. Whoever changes what the values are made from bumps it
(`invalidate`); every process checks it at most once every `check_every` seconds and reloads a value
whose version is not the current one. So a change is seen everywhere within `check_every` seconds,
without a restart, at the cost of one Redis read a second per process and a reload after a change.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from mudserver.redis_client import get_async_redis, get_redis

T = TypeVar("T")

CHECK_EVERY = 1.0  # seconds


class Held:
    def __init__(self, version_key: str, *, check_every: float = CHECK_EVERY):
        self.version_key = version_key
        self.check_every = check_every
        self._version = 0
        self._checked_at = float("-inf")
        self._values: dict[Hashable, tuple[int, Any]] = {}

    def invalidate(self) -> None:
        get_redis().incr(self.version_key)

    async def ainvalidate(self) -> None:
        await get_async_redis().incr(self.version_key)

    def _checked(self) -> bool:
        return time.monotonic() - self._checked_at <= self.check_every

    def _seen(self, raw: str | None) -> int:
        self._version, self._checked_at = int(raw or 0), time.monotonic()
        return self._version

    def version(self) -> int:
        return self._version if self._checked() else self._seen(get_redis().get(self.version_key))

    async def aversion(self) -> int:
        return self._version if self._checked() else self._seen(await get_async_redis().get(self.version_key))

    def fresh(self, key: Hashable) -> Any | None:
        """The value held for `key` if no check is due and it is of the version last seen: for a
        caller that can answer without a round trip (or a thread hop) nearly always."""
        held = self._values.get(key)
        return held[1] if held is not None and self._checked() and held[0] == self._version else None

    def last(self, key: Hashable) -> Any | None:
        """The value held for `key`, whatever its version (to make do while its source is away)."""
        held = self._values.get(key)
        return held[1] if held is not None else None

    def get(self, key: Hashable, load: Callable[[int], T]) -> T:
        """The value for `key`, from `load(version)` when the one held is not of the current version."""
        version = self.version()
        held = self._values.get(key)
        if held is None or held[0] != version:
            held = self._values[key] = (version, load(version))
        return held[1]

    async def aget(self, key: Hashable, load: Callable[[int], Awaitable[T]]) -> T:
        version = await self.aversion()
        held = self._values.get(key)
        if held is None or held[0] != version:
            held = self._values[key] = (version, await load(version))
        return held[1]
