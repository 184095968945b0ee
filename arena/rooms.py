"""Arena rooms and matches in Redis (GAME.md §6). Every change is one Lua script, so joins never
overfill a room and simultaneous attacks on one target lose no hit, from any web process.

`mud:ar:r:<rid>` the room {name, state: waiting|countdown|fighting|ended, winner}; `mud:ar:p:<rid>`
its players, by character name, as JSON {cid, name, level, team, hp, max_hp, attack, defense,
attacks: [[korean, english, multiple], ...], damage, ready_at, gone (its account deleted)};
`mud:ar:s:<rid>` its spectators (character ids); `mud:ar:at:<cid>` "<rid>|player" or
"<rid>|spectator"; `mud:ar:rooms` the lobby.
"""

import hashlib
import json
import time
from dataclasses import dataclass

from mudserver.redis_client import get_async_redis

PLAYERS = 6
SPECTATORS = 4
COOLDOWN_MS = 3000
ROOMS_KEY = "mud:ar:rooms"


def room_id(name: str) -> str:
    """Names keep their case, but two rooms may not differ by case alone."""
    return hashlib.sha1(name.casefold().encode()).hexdigest()[:16]


def _keys(rid: str) -> list[str]:
    return [f"mud:ar:r:{rid}", f"mud:ar:p:{rid}", f"mud:ar:s:{rid}"]


def at_key(character_id: int) -> str:
    return f"mud:ar:at:{character_id}"


def chat_channel(rid: str) -> str:
    return f"room-{rid}"


_JOIN = """
if ARGV[5] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
  redis.call('HSET', KEYS[1], 'name', ARGV[6], 'state', 'waiting', 'created', ARGV[4])
  redis.call('ZADD', KEYS[5], ARGV[4], ARGV[7])
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing'}
end
if redis.call('EXISTS', KEYS[4]) == 1 then return {'already'} end
local state = redis.call('HGET', KEYS[1], 'state')
local players = redis.call('HLEN', KEYS[2])
if state == 'waiting' and players < tonumber(ARGV[8]) then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  redis.call('SET', KEYS[4], ARGV[7] .. '|player')
  players = players + 1
  if players == tonumber(ARGV[8]) then
    redis.call('HSET', KEYS[1], 'state', 'countdown')
    return {'player', players, 'start'}
  end
  return {'player', players, ''}
end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[9]) then return {'full'} end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], ARGV[7] .. '|spectator')
return {'spectator', players, state}
"""

_LEAVE = """
local at = redis.call('GET', KEYS[4])
if not at then return {'none'} end
local role = string.match(at, '|(%a+)$')
if role == 'player' and redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return {'in_match'} end
redis.call('DEL', KEYS[4])
if role == 'player' then redis.call('HDEL', KEYS[2], ARGV[2]) else redis.call('SREM', KEYS[3], ARGV[1]) end
if redis.call('HLEN', KEYS[2]) + redis.call('SCARD', KEYS[3]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  redis.call('ZREM', KEYS[5], ARGV[3])
  return {'left', 'empty'}
end
return {'left', ''}
"""

# After a fall: a team with no one standing loses, and the room records the winner (or '').
# KEYS[1] the room, KEYS[2] its players.
_WINNER_DECIDE = """
local alive = {A = 0, B = 0}
for _, value in ipairs(redis.call('HVALS', KEYS[2])) do
  local p = cjson.decode(value)
  if p.hp > 0 then alive[p.team] = alive[p.team] + 1 end
end
local winner = ''
if alive['A'] == 0 then winner = 'B' elseif alive['B'] == 0 then winner = 'A' end
if winner ~= '' then redis.call('HSET', KEYS[1], 'state', 'ended', 'winner', winner) end
"""

# Validation order of GAME.md §6: spectator, dead, cooldown, unknown attack, unknown target,
# own team, target already dead. r (80..119) comes from the caller.
_ATTACK = (
    """
if redis.call('HGET', KEYS[1], 'state') ~= 'fighting' then return {'not_fighting'} end
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw or redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return {'spectator'} end
local me = cjson.decode(raw)
if me.hp <= 0 then return {'dead'} end
local now = tonumber(ARGV[5])
if me.ready_at > now then return {'cooldown', me.ready_at - now} end
local multiple = nil
for _, attack in ipairs(me.attacks) do
  if attack[1] == ARGV[4] or attack[2] == ARGV[4] then multiple = attack[3] end
end
if not multiple then return {'unknown_attack'} end
local target_raw = redis.call('HGET', KEYS[2], ARGV[3])
if not target_raw then return {'unknown_target'} end
local target = cjson.decode(target_raw)
if target.team == me.team then return {'own_team'} end
if target.hp <= 0 then return {'target_dead'} end
local damage = math.max(0, math.floor(me.attack * multiple * tonumber(ARGV[6]) / 10000) - target.defense)
target.hp = math.max(0, target.hp - damage)
me.damage = me.damage + damage
me.ready_at = now + tonumber(ARGV[7])
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(me), ARGV[3], cjson.encode(target))
"""
    + _WINNER_DECIDE
    + """return {'hit', damage, target.hp, target.max_hp, winner}
"""
)


# A fighter whose account is deleted: it falls (hp 0, gone: no longer told anything nor sent home)
# and its team may lose by it; a match already over only forgets it. KEYS: room, players,
# spectators, the character's `at` key; ARGV: its name.
_FORFEIT = (
    """
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return {'none'} end
local me = cjson.decode(raw)
me.hp, me.gone = 0, true
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(me))
redis.call('DEL', KEYS[4])
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'ended' then return {'over', ''} end
if state ~= 'fighting' then return {'fallen', ''} end
"""
    + _WINNER_DECIDE
    + """return {'fallen', winner}
"""
)


@dataclass
class Joined:
    outcome: str  # player, spectator, exists, missing, already, full
    players: int = 0
    start: bool = False
    state: str = ""


async def room_join(*, name: str, character_id: int, player: dict, create: bool) -> Joined:
    rid = room_id(name)
    reply = await get_async_redis().eval(
        _JOIN,
        5,
        *_keys(rid),
        at_key(character_id),
        ROOMS_KEY,
        character_id,
        player["name"],
        json.dumps(player, ensure_ascii=False),
        int(time.time() * 1000),
        int(create),
        name,
        rid,
        PLAYERS,
        SPECTATORS,
    )
    if len(reply) == 1:
        return Joined(reply[0])
    return Joined(reply[0], int(reply[1]), reply[2] == "start", reply[2] if reply[0] == "spectator" else "")


async def room_leave(*, rid: str, character_id: int, name: str) -> str:
    reply = await get_async_redis().eval(
        _LEAVE, 5, *_keys(rid), at_key(character_id), ROOMS_KEY, character_id, name, rid
    )
    return reply[0] if reply[0] != "left" else ("emptied" if reply[1] == "empty" else "left")


@dataclass
class Hit:
    outcome: str
    damage: int = 0
    hp: int = 0
    max_hp: int = 0
    winner: str = ""
    wait_ms: int = 0


async def match_attack(*, rid: str, character_id: int, name: str, target: str, attack: str, roll: int) -> Hit:
    reply = await get_async_redis().eval(
        _ATTACK, 3, *_keys(rid), character_id, name, target, attack, int(time.time() * 1000), roll, COOLDOWN_MS
    )
    if reply[0] == "hit":
        return Hit("hit", int(reply[1]), int(reply[2]), int(reply[3]), reply[4])
    return Hit(reply[0], wait_ms=int(reply[1]) if len(reply) > 1 else 0)


async def match_forfeit(*, rid: str, character_id: int, name: str) -> tuple[bool, str]:
    """(whether the character was a fighter here, the winning team if its fall ended the match)."""
    reply = await get_async_redis().eval(_FORFEIT, 4, *_keys(rid), at_key(character_id), name)
    return reply[0] == "fallen", reply[1] if len(reply) > 1 else ""


async def room_of(character_id: int) -> tuple[str, str] | None:
    """(room id, role) of the room a character is in."""
    at = await get_async_redis().get(at_key(character_id))
    if not at:
        return None
    rid, role = at.split("|")
    return rid, role


async def room_get(rid: str) -> tuple[dict, list[dict], list[int]]:
    """(room, players, spectator ids)."""
    r = get_async_redis()
    room_key, players_key, spectators_key = _keys(rid)
    room, players, spectators = (
        await r.pipeline(transaction=False).hgetall(room_key).hvals(players_key).smembers(spectators_key).execute()
    )
    return room, [json.loads(p) for p in players], [int(s) for s in spectators]


async def room_list() -> list[dict]:
    r = get_async_redis()
    rids = await r.zrange(ROOMS_KEY, 0, 49)
    pipe = r.pipeline(transaction=False)
    for rid in rids:
        room_key, players_key, spectators_key = _keys(rid)
        pipe.hmget(room_key, "name", "state").hlen(players_key).scard(spectators_key)
    replies = await pipe.execute()
    rooms = []
    for i, rid in enumerate(rids):
        (name, state), players, spectators = replies[3 * i : 3 * i + 3]
        if name:
            rooms.append({"rid": rid, "name": name, "state": state, "players": players, "spectators": spectators})
    return rooms


async def teams_assign(rid: str) -> list[dict]:
    """Balance the six by level (snake order A B B A A B) and open the fight."""
    r = get_async_redis()
    room_key, players_key, _spectators = _keys(rid)
    players = sorted((json.loads(p) for p in await r.hvals(players_key)), key=lambda p: (-p["level"], p["name"]))
    for player, team in zip(players, "ABBAAB", strict=False):
        player["team"] = team
    pipe = r.pipeline(transaction=True)
    pipe.hset(players_key, mapping={p["name"]: json.dumps(p, ensure_ascii=False) for p in players})
    pipe.hset(room_key, "state", "fighting")
    await pipe.execute()
    return players


async def room_delete(rid: str, character_ids: list[int]) -> None:
    r = get_async_redis()
    pipe = r.pipeline(transaction=True)
    pipe.delete(*_keys(rid))
    pipe.zrem(ROOMS_KEY, rid)
    for character_id in character_ids:
        pipe.delete(at_key(character_id))
    await pipe.execute()
