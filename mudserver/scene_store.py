"""A signed-in player's scene lives in Redis, so that any web process can serve the next line and a
reload resumes where the player was (invariant 2)."""

from mudserver.redis_client import get_async_redis

PLAYER_PREFIX = "mud:pl:"


def player_key(character_id: int) -> str:
    return f"{PLAYER_PREFIX}{character_id}"


async def scene_load(character_id: int) -> dict[str, str]:
    return await get_async_redis().hgetall(player_key(character_id))


async def scene_save(character_id: int, stored: dict[str, str]) -> None:
    await get_async_redis().hset(player_key(character_id), mapping=stored)


async def player_meta_save(character_id: int, *, name: str, lang: str, channel: str | None = None) -> None:
    """What workers need to talk to the player: the name for the status bar, the language, and the
    connection (channel name), whose web process receives the battle feed (mudserver.mailbox)."""
    meta = {"name": name, "lang": lang} | ({"channel": channel} if channel else {})
    await get_async_redis().hset(player_key(character_id), mapping=meta)


async def scene_forget(character_id: int) -> None:
    await get_async_redis().delete(player_key(character_id))
