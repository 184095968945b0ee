"""Who is online, and which connection owns each account (one active connection per account).

`mud:conn:<user id>` is a hash {channel, session, character, name}; `mud:online` is a sorted set of
character names (all scored 0, so ZRANGE BYLEX pages them alphabetically); `mud:online:ids` maps
an online name to its character id and `mud:online:names` back (whispers, the sweep).
"""

from dataclasses import dataclass

from mudserver.redis_client import get_async_redis
from mudserver.scene_store import player_key

ONLINE_KEY = "mud:online"
IDS_KEY = "mud:online:ids"
NAMES_KEY = "mud:online:names"


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
redis.call('HSET', KEYS[3], ARGV[4], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
return old
"""

# Release only if this connection still owns the account (a takeover may have replaced it).
_RELEASE = """
if redis.call('HGET', KEYS[1], 'channel') == ARGV[1] then
  local name = redis.call('HGET', KEYS[1], 'name')
  local character = redis.call('HGET', KEYS[1], 'character')
  redis.call('DEL', KEYS[1])
  if name then
    redis.call('ZREM', KEYS[2], name)
    redis.call('HDEL', KEYS[3], name)
  end
  if character then redis.call('HDEL', KEYS[4], character) end
  return 1
end
return 0
"""

# Forget a character whose connection vanished (found by the sweep); returns its name.
_FORGET = """
local name = redis.call('HGET', KEYS[3], ARGV[1])
if name then
  redis.call('ZREM', KEYS[1], name)
  redis.call('HDEL', KEYS[2], name)
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return name
"""


async def presence_claim(*, user_id: int, channel: str, session: str, character_id: int, name: str) -> Owner | None:
    r = get_async_redis()
    old_channel, old_session = await r.eval(
        _CLAIM, 4, _conn_key(user_id), ONLINE_KEY, IDS_KEY, NAMES_KEY, channel, session, character_id, name
    )
    if old_channel and old_channel != channel:
        return Owner(channel=old_channel, session=old_session or "")
    return None


async def presence_owner(user_id: int) -> Owner | None:
    """The connection that owns an account now, if any."""
    channel, session = await get_async_redis().hmget(_conn_key(user_id), "channel", "session")
    return Owner(channel=channel, session=session or "") if channel else None


async def presence_release(*, user_id: int, channel: str) -> bool:
    keys = (_conn_key(user_id), ONLINE_KEY, IDS_KEY, NAMES_KEY)
    return bool(await get_async_redis().eval(_RELEASE, 4, *keys, channel))


async def presence_forget(character_id: int) -> str | None:
    return await get_async_redis().eval(_FORGET, 3, ONLINE_KEY, IDS_KEY, NAMES_KEY, character_id)


async def online_character_id(name: str) -> int | None:
    found = await get_async_redis().hget(IDS_KEY, name)
    return int(found) if found else None


async def online_count() -> int:
    return await get_async_redis().zcard(ONLINE_KEY)


async def online_names(*, page: int, size: int) -> list[str]:
    return await get_async_redis().zrange(ONLINE_KEY, "-", "+", bylex=True, offset=(page - 1) * size, num=size)


async def online_players(*, limit: int) -> list[dict]:
    """Online players (alphabetical, at most `limit`) with the scene each is in."""
    r = get_async_redis()
    names = await online_names(page=1, size=limit)
    ids = await r.hmget(IDS_KEY, names) if names else []
    pipe = r.pipeline(transaction=False)
    for character_id in ids:
        pipe.hget(player_key(character_id), "scene")
    scenes = await pipe.execute()
    return [{"name": n, "character_id": c, "scene": s or "front"} for n, c, s in zip(names, ids, scenes, strict=True)]
