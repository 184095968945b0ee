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


async def players_frames_send(frames: dict[int, list[dict]]) -> None:
    """Send many players their frames at once (a battle cycle's feed)."""
    layer = get_channel_layer()
    for character_id, player_frames in frames.items():
        for frame in player_frames:
            await layer.group_send(player_group(character_id), {"type": "player.frame", "frame": frame})


def players_frames_send_sync(frames: dict[int, list[dict]]) -> None:
    if frames:
        async_to_sync(players_frames_send)(frames)


def chat_group(channel: str) -> str:
    return f"chat.{channel}"


async def chat_channel_send(channel: str, frame: dict) -> None:
    """Send a frame to everyone in a chat channel."""
    await get_channel_layer().group_send(chat_group(channel), {"type": "player.frame", "frame": frame})


async def player_frames_send(character_id: int, frames: list[dict]) -> None:
    await players_frames_send({character_id: frames})


async def group_join(group: str, channel_name: str) -> None:
    await get_channel_layer().group_add(group, channel_name)


async def group_leave(group: str, channel_name: str) -> None:
    await get_channel_layer().group_discard(group, channel_name)
