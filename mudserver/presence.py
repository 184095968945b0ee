"""Who is online, and which connection owns each account (one active connection per account).

`mud:conn:<user id>` is a hash {channel, session, character, name}; `mud:online` is a sorted set of
character names (all scored 0, so ZRANGE BYLEX pages them alphabetically); `mud:online:ids` maps
an online name to its character id and `mud:online:names` back (whispers, the sweep).
`mud:hb:<character id>` says that the connection lives: it and the account's hash expire after three
missed heartbeats, so a web process that dies leaves neither behind.
"""

from dataclasses import dataclass

from django.conf import settings

from mudserver.redis_client import get_async_redis
from mudserver.scene_store import player_key

ONLINE_KEY = "mud:online"
# Who is online by level then name (accounts.selectors.online_ranked_page makes it from the hot states
# every little while); a sign-in or a sign-out changes it at once, when it is there.
RANKED_KEY = "mud:online:ranked"
IDS_KEY = "mud:online:ids"
NAMES_KEY = "mud:online:names"


def _conn_key(user_id: int) -> str:
    return f"mud:conn:{user_id}"


def heartbeat_key(character_id: int) -> str:
    return f"mud:hb:{character_id}"


def _beats_missed_seconds() -> int:
    return 3 * settings.GAME["HEARTBEAT_SECONDS"]


@dataclass
class Owner:
    channel: str
    session: str


# Claim the account for a connection; return the previous owner's channel and session key.
_CLAIM = """
local old = redis.call('HMGET', KEYS[1], 'channel', 'session')
redis.call('HSET', KEYS[1], 'channel', ARGV[1], 'session', ARGV[2], 'character', ARGV[3], 'name', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], 0, ARGV[4])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('ZADD', KEYS[5], -tonumber(ARGV[6]), ARGV[4]) end
return old
"""

# Release only if this connection still owns the account (a takeover may have replaced it). Once no
# connection owns it, the heartbeat (KEYS[5]) goes and the player's own keys (KEYS[7...]) expire
# after ARGV[2] seconds, in the same step, so that a connection taking over meanwhile keeps them.
_RELEASE = """
local owner = redis.call('HGET', KEYS[1], 'channel')
if owner == ARGV[1] then
  local name = redis.call('HGET', KEYS[1], 'name')
  local character = redis.call('HGET', KEYS[1], 'character')
  redis.call('DEL', KEYS[1])
  if name then
    redis.call('ZREM', KEYS[2], name)
    redis.call('HDEL', KEYS[3], name)
    redis.call('ZREM', KEYS[6], name)
  end
  if character then redis.call('HDEL', KEYS[4], character) end
elseif owner then
  return
end
redis.call('DEL', KEYS[5])
for i = 7, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
"""

# Forget a character whose connection vanished (found by the sweep); returns its name.
_FORGET = """
local name = redis.call('HGET', KEYS[3], ARGV[1])
if name then
  redis.call('ZREM', KEYS[1], name)
  redis.call('HDEL', KEYS[2], name)
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[4], name)
end
return name
"""


async def presence_claim(
    *, user_id: int, channel: str, session: str, character_id: int, name: str, level: int
) -> Owner | None:
    r = get_async_redis()
    keys = (_conn_key(user_id), ONLINE_KEY, IDS_KEY, NAMES_KEY, RANKED_KEY)
    seconds = _beats_missed_seconds()
    old_channel, old_session = await r.eval(_CLAIM, 5, *keys, channel, session, character_id, name, seconds, level)
    if old_channel and old_channel != channel:
        return Owner(channel=old_channel, session=old_session or "")
    return None


async def presence_owner(user_id: int) -> Owner | None:
    """The connection that owns an account now, if any."""
    channel, session = await get_async_redis().hmget(_conn_key(user_id), "channel", "session")
    return Owner(channel=channel, session=session or "") if channel else None


async def presence_release(*, user_id: int, channel: str, character_id: int, expiring: list[str], seconds: int) -> None:
    """Let the account go if this connection owns it; then, unless another connection has taken it
    over meanwhile, the `expiring` keys expire after `seconds` (mudserver.player_keys)."""
    keys = (_conn_key(user_id), ONLINE_KEY, IDS_KEY, NAMES_KEY, heartbeat_key(character_id), RANKED_KEY, *expiring)
    await get_async_redis().eval(_RELEASE, len(keys), *keys, channel, seconds)


async def heartbeat(*, user_id: int, character_id: int) -> None:
    """The connection lives: renew its heartbeat and the account's hash, in one round trip."""
    seconds = _beats_missed_seconds()
    pipe = get_async_redis().pipeline(transaction=False)
    await pipe.set(heartbeat_key(character_id), 1, ex=seconds).expire(_conn_key(user_id), seconds).execute()


async def presence_forget(character_id: int) -> str | None:
    return await get_async_redis().eval(_FORGET, 4, ONLINE_KEY, IDS_KEY, NAMES_KEY, RANKED_KEY, character_id)


async def online_character_id(name: str) -> int | None:
    found = await get_async_redis().hget(IDS_KEY, name)
    return int(found) if found else None


async def online_character_ids() -> list[int]:
    return [int(character_id) for character_id in await get_async_redis().hkeys(NAMES_KEY)]


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
