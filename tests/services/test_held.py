"""The per-process held values over the real Redis: one invalidation rule for every cache."""

import pytest

from mudserver.held import Held
from mudserver.redis_client import get_redis
from tests.client import unique


def _loader(values: list[str]):
    loads = []

    def load(version: int) -> str:
        loads.append(version)
        return values[len(loads) - 1]

    return load, loads


def test_a_value_is_loaded_once_per_version_and_an_invalidation_elsewhere_is_seen_after_the_check():
    key = unique("held")
    here, elsewhere = Held(key, check_every=60), Held(key, check_every=60)  # two processes
    load, loads = _loader(["first", "second"])
    assert here.get("x", load) == "first"
    assert here.get("x", load) == "first" and len(loads) == 1
    elsewhere.invalidate()
    assert here.get("x", load) == "first"  # not checked again yet: the held value stands
    here.check_every = -1  # the check is due
    assert here.get("x", load) == "second" and loads == [0, 1]
    get_redis().delete(key)


async def test_the_async_face_follows_the_same_rule_and_the_last_value_outlives_a_failed_load():
    key = unique("held")
    held = Held(key, check_every=-1)
    loads = []

    async def load(version: int) -> str:
        loads.append(version)
        return f"v{version}"

    assert await held.aget("x", load) == "v0" and held.fresh("x") is None  # always due: never fresh
    assert await held.aget("x", load) == "v0" and loads == [0]
    await held.ainvalidate()

    async def away(version: int) -> str:
        raise ConnectionError

    with pytest.raises(ConnectionError):
        await held.aget("x", away)
    assert held.last("x") == "v0"
    assert await held.aget("x", load) == "v1"
    get_redis().delete(key)
