"""The one module that sends to players (DESIGN.md, "Pushes").

Every player's connection joins the personal group `player.<character id>`, and the group of its
chat channel; services and workers reach players through them, from any process. Nothing else
calls the channel layer's send methods. Frames travel already encoded as JSON text: a chat message
to a channel of ten is encoded once, not ten times, and each player's frames go in one message.
"""

import json
from collections import defaultdict

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer


def player_group(character_id: int) -> str:
    return f"player.{character_id}"


def chat_group(channel: str) -> str:
    return f"chat.{channel}"


def _frames_event(frames: list[dict]) -> dict:
    return {"type": "player.frames", "texts": [json.dumps(frame, ensure_ascii=False) for frame in frames]}


async def players_frames_send(frames: dict[int, list[dict]]) -> None:
    """Send players their frames (a battle cycle's feed, a whisper): one message per player."""
    layer = get_channel_layer()
    for character_id, player_frames in frames.items():
        await layer.group_send(player_group(character_id), _frames_event(player_frames))


def players_frames_send_sync(frames: dict[int, list[dict]]) -> None:
    if frames:
        async_to_sync(players_frames_send)(frames)


def mailbox_of(channel: str) -> str:
    """A web process's mailbox: a channel of the same process as the connection `channel`
    (channels-redis names a process's channels `specific.<process>!<socket>`)."""
    return channel[: channel.index("!") + 1] + MAILBOX


MAILBOX = "mailbox"


async def players_frames_deliver(frames: dict[int, list[dict]], connections: dict[int, str]) -> None:
    """Many players' frames at once (a battle batch's feed): one message per web process, to its
    mailbox, which hands each player's frames to their socket there. Through the players' groups it
    would be a message per player, each read by its own round trip to Redis (channels-redis carries
    about 3,400 group messages a second on this box). Players with no known connection go by group."""
    by_mailbox: dict[str, list] = defaultdict(list)
    by_group = {}
    for character_id, player_frames in frames.items():
        channel = connections.get(character_id, "")
        if "!" in channel:
            by_mailbox[mailbox_of(channel)].append([character_id, _frames_event(player_frames)["texts"]])
        else:
            by_group[character_id] = player_frames
    layer = get_channel_layer()
    for mailbox, players in by_mailbox.items():
        try:
            await layer.send(mailbox, {"type": "mailbox.frames", "players": players})
        except ChannelFull:
            pass  # that web process is gone or stalled: its players reconnect elsewhere
    await players_frames_send(by_group)


def players_frames_deliver_sync(frames: dict[int, list[dict]], connections: dict[int, str]) -> None:
    if frames:
        async_to_sync(players_frames_deliver)(frames, connections)


async def chat_channel_send(channel: str, frame: dict) -> None:
    """Send a frame to everyone in a chat channel."""
    await get_channel_layer().group_send(chat_group(channel), _frames_event([frame]))


async def chat_move_send(character_id: int, room: str | None) -> None:
    """Ask a player's connection to move its chat to another channel (see chat.hooks.chat_switch)."""
    await get_channel_layer().group_send(player_group(character_id), {"type": "chat.move", "room": room})


async def connection_close(channel_name: str, *, code: int, reason: str) -> None:
    """Tell one connection to say `reason` to its player and close (a takeover, a ban)."""
    try:
        await get_channel_layer().send(channel_name, {"type": "connection.close", "code": code, "reason": reason})
    except ChannelFull:
        pass  # nobody reads that channel any more (its web process died): there is no one to tell


async def group_join(group: str, channel_name: str) -> None:
    await get_channel_layer().group_add(group, channel_name)


async def group_leave(group: str, channel_name: str) -> None:
    await get_channel_layer().group_discard(group, channel_name)
