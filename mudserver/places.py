"""Where an online player is, as other players may know it: the village, the dungeons (which one),
the arena or the main menu. Read from the player's scene in Redis (each scene says its place), never
from anything private such as what the player is typing or fighting."""

import json
from dataclasses import dataclass

from battles.services import battle_key
from mudserver.redis_client import get_async_redis
from mudserver.router import SCENES
from mudserver.scene_store import player_key


@dataclass(frozen=True)
class Place:
    area: str  # a scene's `place`: "village", "dungeon", "arena", or "" (the main menu)
    dungeon: int | None = None  # in the dungeons: the one fought in or stood before, if any


async def place_get(character_id: int) -> Place:
    """One round trip: the scene, its data (a dungeon's gate holds the dungeon) and the fight's dungeon."""
    pipe = get_async_redis().pipeline(transaction=False)
    pipe.hmget(player_key(character_id), "scene", "data").hget(battle_key(character_id), "dungeon")
    (scene_name, data), fought_in = await pipe.execute()
    scene = SCENES.get(scene_name or "")
    area = scene.place if scene is not None else ""
    if area != "dungeon":
        return Place(area)
    dungeon = fought_in or json.loads(data or "{}").get("dungeon")
    return Place(area, int(dungeon) if dungeon else None)
