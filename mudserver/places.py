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


async def places_get(character_ids: list[int]) -> list[Place]:
    """One round trip for them all: each player's scene, its data (a dungeon's gate holds the
    dungeon) and, for each area with a detail (mudserver.hooks.place_details), the field of the key
    that holds it."""
    details = list(hooks.place_details.items())
    pipe = get_async_redis().pipeline(transaction=False)
    for character_id in character_ids:
        pipe.hmget(player_key(character_id), "scene", "data")
        for _area, detail in details:
            pipe.hget(detail.key_of(character_id), detail.field)
    replies = await pipe.execute()
    width = 1 + len(details)
    return [_place_of(details, replies[i : i + width]) for i in range(0, len(replies), width)]


def _place_of(details: list, replies: list) -> Place:
    (scene_name, data), *held = replies
    scene = SCENES.get(scene_name or "")
    area = scene.place if scene is not None else ""
    for (detail_area, detail), value in zip(details, held, strict=True):
        if detail_area == area:
            found = value or json.loads(data or "{}").get(detail.field)
            return Place(area, int(found) if found else None)
    return Place(area)
