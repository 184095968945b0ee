"""The one module that sends to players (DESIGN.md, "Pushes").

Every player's connection joins the personal group `player.<character id>`; services and workers
reach the player through it, from any process. Nothing else calls the channel layer's send methods.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def player_group(character_id: int) -> str:
    return f"player.{character_id}"


async def connection_close(channel_name: str, *, code: int, reason: str) -> None:
    """Tell one connection to say `reason` to its player and close (a takeover, a ban)."""
    await get_channel_layer().send(channel_name, {"type": "connection.close", "code": code, "reason": reason})


async def player_group_join(character_id: int, channel_name: str) -> None:
    await get_channel_layer().group_add(player_group(character_id), channel_name)


async def player_group_leave(character_id: int, channel_name: str) -> None:
    await get_channel_layer().group_discard(player_group(character_id), channel_name)


async def players_frames_send(frames: dict[int, list[dict]]) -> None:
    """Send many players their frames at once (a battle cycle's feed)."""
    layer = get_channel_layer()
    for character_id, player_frames in frames.items():
        for frame in player_frames:
            await layer.group_send(player_group(character_id), {"type": "player.frame", "frame": frame})


def players_frames_send_sync(frames: dict[int, list[dict]]) -> None:
    if frames:
        async_to_sync(players_frames_send)(frames)
