"""Who is online, and which connection owns each account (one active connection per account).

`mud:conn:<user id>` is a hash {channel, session, character, name}; `mud:online` is a sorted set of
character names (all scored 0, so ZRANGE BYLEX pages them alphabetically).
"""

from dataclasses import dataclass

from mudserver.redis_client import get_async_redis

ONLINE_KEY = "mud:online"


def _conn_key(user_id: int) -> str:
    return f"mud:conn:{user_id}"


@dataclass
class Owner:
    channel: str
    session: str


# Claim the account for a connection; return the previous owner's channel and session key.
_CLAIM = """
local old = redis.call('HMGET', KEYS[1], 'channel', 'session')
redis.call('HSET', KEYS[1], 'channel', ARGV[1], 'session', ARGV[2], 'character', ARGV[3], 'name', ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[4])
return old
"""

# Release only if this connection still owns the account (a takeover may have replaced it).
_RELEASE = """
if redis.call('HGET', KEYS[1], 'channel') == ARGV[1] then
  local name = redis.call('HGET', KEYS[1], 'name')
  redis.call('DEL', KEYS[1])
  if name then redis.call('ZREM', KEYS[2], name) end
  return 1
end
return 0
"""


async def presence_claim(*, user_id: int, channel: str, session: str, character_id: int, name: str) -> Owner | None:
    r = get_async_redis()
    old_channel, old_session = await r.eval(
        _CLAIM, 2, _conn_key(user_id), ONLINE_KEY, channel, session, character_id, name
    )
    if old_channel and old_channel != channel:
        return Owner(channel=old_channel, session=old_session or "")
    return None


async def presence_release(*, user_id: int, channel: str) -> bool:
    return bool(await get_async_redis().eval(_RELEASE, 2, _conn_key(user_id), ONLINE_KEY, channel))


async def online_count() -> int:
    return await get_async_redis().zcard(ONLINE_KEY)


async def online_names(*, page: int, size: int) -> list[str]:
    return await get_async_redis().zrange(ONLINE_KEY, "-", "+", bylex=True, offset=(page - 1) * size, num=size)
