"""Where an online player is, as other players may know it: the village, the dungeons (which one),
the arena or the main menu. Read from the player's scene in Redis (each scene says its place), never
from anything private such as what the player is typing or fighting."""

import json
from dataclasses import dataclass

from mudserver import hooks
from mudserver.redis_client import get_async_redis
from mudserver.router import SCENES
from mudserver.scene_store import player_key


@dataclass(frozen=True)
class Place:
    area: str  # a scene's `place`: "village", "dungeon", "arena", or "" (the main menu)
    dungeon: int | None = None  # where in the area: in the dungeons, the one fought in or stood before


async def place_get(character_id: int) -> Place:
    return (await places_get([character_id]))[0]


# KEYS: for each player, their hash then the key of each detail; ARGV: the details' fields. Returns,
# for each player, the scene, its data and each detail's field (nil where absent).
_PLACES = """
local width, out = 1 + #ARGV, {}
for i = 1, #KEYS, width do
  local scene = redis.call('HMGET', KEYS[i], 'scene', 'data')
  out[#out + 1] = scene[1]
  out[#out + 1] = scene[2]
  for d = 1, #ARGV do out[#out + 1] = redis.call('HGET', KEYS[i + d], ARGV[d]) end
end
return out
"""


async def places_get(character_ids: list[int]) -> list[Place]:
    """One command for them all (a `who` page asks for ten: one script costs the web process a
    fraction of a pipeline of twenty): each player's scene, its data (a dungeon's gate holds the
    dungeon) and, for each area with a detail (mudserver.hooks.place_details), the field of the key
    that holds it."""
    if not character_ids:
        return []
    details = list(hooks.place_details.items())
    keys = [key for cid in character_ids for key in (player_key(cid), *(d.key_of(cid) for _a, d in details))]
    flat = await get_async_redis().eval(_PLACES, len(keys), *keys, *(detail.field for _area, detail in details))
    width = 2 + len(details)
    return [_place_of(details, flat[i : i + width]) for i in range(0, len(flat), width)]


def _place_of(details: list, replies: list) -> Place:
    scene_name, data, *held = replies
    scene = SCENES.get(scene_name or "")
    area = scene.place if scene is not None else ""
    for (detail_area, detail), value in zip(details, held, strict=True):
        if detail_area == area:
            found = value or json.loads(data or "{}").get(detail.field)
            return Place(area, int(found) if found else None)
    return Place(area)
