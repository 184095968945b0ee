from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings

from accounts.character_state import STATE_PREFIX, character_state_get
from accounts.models import Character, User
from mudserver.presence import IDS_KEY, RANKED_KEY, online_character_id
from mudserver.redis_client import get_async_redis


@database_sync_to_async
def username_taken(username: str) -> bool:
    return User.objects.filter(username=username).exists()


@database_sync_to_async
def character_name_taken(name: str) -> bool:
    return Character.objects.filter(name=name).exists()


@database_sync_to_async
def character_of_user(user_id: int) -> Character | None:
    return Character.objects.filter(user_id=user_id, user__is_active=True).select_related("user").first()


@database_sync_to_async
def username_of_user(user_id: int) -> str:
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() or ""


# What anyone may see of a character (`look`): nothing private such as hp, mp or exp.
CARD_FIELDS = ("level", "weapon_level", "kills", "deaths", "arena_wins", "arena_losses", "arena_rating")


@dataclass(frozen=True)
class Card:
    character_id: int
    name: str
    online: bool
    numbers: dict[str, int]  # CARD_FIELDS


@database_sync_to_async
def _card_row(name: str) -> dict | None:
    return Character.objects.filter(name=name).values("id", "name", *CARD_FIELDS).first()


async def character_card_get(name: str) -> Card | None:
    """A character's public card by its exact stored name: from the hot state in Redis when it has
    one (an online player's, or one who left a moment ago, not written behind yet), else from the
    database row. At most one query, by the unique name."""
    character_id = await online_character_id(name)
    row = None
    if character_id is None:
        row = await _card_row(name)
        if row is None or row["name"] != name:  # the column's collation would match other spellings
            return None
        character_id = row["id"]
    state = await character_state_get(character_id) or row
    if state is None:  # online without a hot state: only for the moment a sign-in takes to load it
        state = await _card_row(name)
        if state is None:
            return None
    return Card(character_id, name, online=row is None, numbers={field: state[field] for field in CARD_FIELDS})


# Who is online by level (highest first) then name: a sorted set (score minus the level, so that equal
# levels come in name order) made from the online players' hot states at most once every
# GAME["WHO_FRESH_MS"] per 2,000 online (sign-ins and sign-outs change it at once: mudserver.presence),
# so a page costs O(log n) whatever the number online, the rebuild's cost per second stays near
# constant, and levels shown may be that old. KEYS: the snapshot, the
# online name -> id hash. ARGV: the hot states' prefix, the snapshot's life (ms), the page's offset
# and size. Returns the total, the offset shown (the last
# page's when past it), then name, level, id for each player of the page.
_RANKED_PAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local online = redis.call('HGETALL', KEYS[2])
  for i = 1, #online, 2 do
    local level = redis.call('HGET', ARGV[1] .. online[i + 1], 'level') or '1'
    redis.call('ZADD', KEYS[1], -tonumber(level), online[i])
  end
  redis.call('PEXPIRE', KEYS[1], math.max(1, #online / 2 / 2000) * tonumber(ARGV[2]))
end
local total, offset, size = redis.call('ZCARD', KEYS[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
if offset >= total and total > 0 then offset = math.floor((total - 1) / size) * size end
local page = redis.call('ZRANGE', KEYS[1], offset, offset + size - 1, 'WITHSCORES')
local out = {total, offset}
for i = 1, #page, 2 do
  out[#out + 1] = page[i]
  out[#out + 1] = -tonumber(page[i + 1])
  out[#out + 1] = redis.call('HGET', KEYS[2], page[i]) or '0'
end
return out
"""


@dataclass(frozen=True)
class Online:
    name: str
    level: int
    character_id: int  # 0 when the player left after the snapshot was made


@dataclass(frozen=True)
class OnlinePage:
    total: int
    page: int  # the one shown: the last when the one asked for is past it
    pages: int
    players: list[Online]


async def online_ranked_page(*, page: int, size: int) -> OnlinePage:
    """A page of who is online, by level then name, in one round trip."""
    total, offset, *flat = await get_async_redis().eval(
        _RANKED_PAGE, 2, RANKED_KEY, IDS_KEY, STATE_PREFIX, settings.GAME["WHO_FRESH_MS"], (page - 1) * size, size
    )
    players = [
        Online(name, int(level), int(cid)) for name, level, cid in zip(flat[::3], flat[1::3], flat[2::3], strict=True)
    ]
    return OnlinePage(int(total), int(offset) // size + 1, max(1, -(-int(total) // size)), players)
