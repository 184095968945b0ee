"""The game's clock (ms): the battles' cycles and the rankings' weeks. Production reads the plain
clock; the test settings name a Redis key (GAME["BATTLE_CLOCK_KEY"]) whose offset moves it forward in
every process."""

import time

from django.conf import settings

from mudserver.redis_client import get_redis


def _wall_ms() -> int:
    return int(time.time() * 1000)


def _shifted_ms() -> int:
    """The test settings' clock: wall time plus the offset a test keeps in Redis."""
    return _wall_ms() + int(get_redis().get(settings.GAME["BATTLE_CLOCK_KEY"]) or 0)


now_ms = _shifted_ms if settings.GAME["BATTLE_CLOCK_KEY"] else _wall_ms
