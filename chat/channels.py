"""Chat channels in Redis: global shards filled lowest first, and room channels (the arena's).

`mud:chat:at:<character>` names the channel a player is in; `mud:chat:m:<channel>` holds its
members; `mud:chat:shards` the numbers of the global shards in use. Every change is one Lua script,
so many sign-ins at once never put an eleventh player in a shard of ten.
"""

from dataclasses import dataclass

from django.conf import settings

from mudserver.events import ChatPresence
from mudserver.push import members_tell_queue
from mudserver.redis_client import get_async_redis

SHARDS_KEY = "mud:chat:shards"
MEMBERS_PREFIX = "mud:chat:m:"
ALL_KEY = "mud:chat:all"  # everyone in some channel, for the sweep of vanished connections
ROOM_CAPACITY = 10  # an arena room: 6 players and 4 spectators


def at_key(character_id: int) -> str:
    return f"mud:chat:at:{character_id}"


def capacity_of(channel: str) -> int:
    return settings.GAME["CHAT_SHARD_CAPACITY"] if channel.startswith("global-") else ROOM_CAPACITY


@dataclass
class Membership:
    channel: str
    members: int
    changed: bool  # False when the player was already there (a reconnect)


# Join the lowest global shard with room (or make the lowest free number), unless already in one.
_JOIN_SHARD = """
local current = redis.call('GET', KEYS[2])
if current then return {current, redis.call('SCARD', ARGV[3] .. current), 0} end
local shards = redis.call('ZRANGE', KEYS[1], 0, -1)
local chosen = nil
for _, s in ipairs(shards) do
  if redis.call('SCARD', ARGV[3] .. 'global-' .. s) < tonumber(ARGV[1]) then chosen = s break end
end
if not chosen then
  local id = 1
  for _, s in ipairs(shards) do
    if tonumber(s) == id then id = id + 1 elseif tonumber(s) > id then break end
  end
  chosen = tostring(id)
  redis.call('ZADD', KEYS[1], id, chosen)
end
local channel = 'global-' .. chosen
redis.call('SADD', ARGV[3] .. channel, ARGV[2])
redis.call('SET', KEYS[2], channel)
redis.call('SADD', KEYS[3], ARGV[2])
return {channel, redis.call('SCARD', ARGV[3] .. channel), 1}
"""

# Leave whatever channel the player is in; an emptied channel (and its shard number) goes away.
_LEAVE = """
local channel = redis.call('GET', KEYS[2])
if not channel then return false end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
local key = ARGV[2] .. channel
redis.call('SREM', key, ARGV[1])
local n = redis.call('SCARD', key)
if n == 0 then
  redis.call('DEL', key)
  local shard = string.match(channel, '^global%-(%d+)$')
  if shard then redis.call('ZREM', KEYS[1], shard) end
end
return {channel, n}
"""

# Enter a room channel (leaving the current channel is done first, by _LEAVE).
_ENTER_ROOM = """
redis.call('SADD', ARGV[2] .. ARGV[3], ARGV[1])
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('SCARD', ARGV[2] .. ARGV[3])
"""


def members_key(channel: str) -> str:
    return MEMBERS_PREFIX + channel


async def channel_tell(channel: str, event: ChatPresence) -> None:
    """Tell everyone in a chat channel who came or went."""
    pipe = get_async_redis().pipeline(transaction=False)
    members_tell_queue(pipe, members_key(channel), event)
    await pipe.execute()


async def shard_join(character_id: int) -> Membership:
    channel, members, changed = await get_async_redis().eval(
        _JOIN_SHARD,
        3,
        SHARDS_KEY,
        at_key(character_id),
        ALL_KEY,
        settings.GAME["CHAT_SHARD_CAPACITY"],
        character_id,
        MEMBERS_PREFIX,
    )
    return Membership(channel, int(members), bool(changed))


async def channel_leave(character_id: int) -> Membership | None:
    left = await get_async_redis().eval(
        _LEAVE, 3, SHARDS_KEY, at_key(character_id), ALL_KEY, character_id, MEMBERS_PREFIX
    )
    return Membership(left[0], int(left[1]), True) if left else None


async def room_enter(character_id: int, channel: str) -> Membership:
    members = await get_async_redis().eval(
        _ENTER_ROOM, 2, at_key(character_id), ALL_KEY, character_id, MEMBERS_PREFIX, channel
    )
    return Membership(channel, int(members), True)
