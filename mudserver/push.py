"""The one module that sends to players (DESIGN.md, "Pushes").

Every player's connection joins the personal group `player.<character id>`; services and workers
reach players through it from any process. Messages to many players at once (a chat channel, a
battle batch's feed) go instead to the mailbox of each web process they are on, one message per
process. Nothing else calls the channel layer's send methods. Frames travel already encoded as
JSON text: a chat message to a channel of ten is encoded once, not ten times.
"""

import json
from collections import defaultdict

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from mudserver.redis_client import get_async_redis, get_redis


def player_group(character_id: int) -> str:
    return f"player.{character_id}"


def _texts(frames: dict[int, list[dict]]) -> dict[int, list[str]]:
    """Each player's frames encoded as JSON text, once."""
    return {
        character_id: [json.dumps(frame, ensure_ascii=False) for frame in player_frames]
        for character_id, player_frames in frames.items()
    }


async def players_frames_send(frames: dict[int, list[dict]], moves: dict[int, str] | None = None) -> None:
    """Send players their frames (a whisper, a game master's notice): one message per player,
    through their group, which their connection reads in turn with their commands. With `moves`,
    each connection also takes its player's new scene (a death, a match's start or end): the mover
    has written it to Redis, and a connection keeps its player's scene, reading it back from Redis
    only when it connects."""
    await _texts_by_group(_texts(frames), moves)


def players_frames_send_sync(frames: dict[int, list[dict]], moves: dict[int, str] | None = None) -> None:
    if frames:
        async_to_sync(players_frames_send)(frames, moves)


# A web process's mailbox is a Redis list that only it reads: a push is one RPUSH in the sender's
# pipeline and a read one BLPOP, where a channel-layer message took four round trips to send and
# three to receive. The newest MAILBOX_CAPACITY messages are kept; a mailbox nobody reads (its
# process died) disappears MAILBOX_EXPIRY seconds after the last push.
MAILBOX_PREFIX = "mud:mbox:"
MAILBOX_CAPACITY = 1000
MAILBOX_EXPIRY = 30


def mailbox_of(channel: str) -> str:
    """The mailbox of the web process that holds the connection `channel` (channels-redis names a
    process's channels `specific.<process>!<socket>`)."""
    return MAILBOX_PREFIX + channel[: channel.index("!")]


def players_frames_deliver_sync(frames: dict[int, list[dict]], connections: dict[int, str]) -> None:
    """Many players' frames at once (a battle batch's feed), given the connection each is on; from
    a worker, one round trip on its synchronous client for every web process's mailbox."""
    pipe = get_redis().pipeline(transaction=False)
    unplaced = _mailboxes_push(pipe, _texts(frames), connections)
    pipe.execute()
    if unplaced:
        async_to_sync(_texts_by_group)(unplaced)


async def connections_frame_send(connections: dict[int, str], frame: dict) -> None:
    """Send one frame to many players, given the connection each is on (a chat channel's members),
    encoded once."""
    text = json.dumps(frame, ensure_ascii=False)
    await _deliver(dict.fromkeys(connections, [text]), connections)


async def _deliver(texts: dict[int, list[str]], connections: dict[int, str]) -> None:
    pipe = get_async_redis().pipeline(transaction=False)
    unplaced = _mailboxes_push(pipe, texts, connections)
    await pipe.execute()
    await _texts_by_group(unplaced)


def _mailboxes_push(pipe, texts: dict[int, list[str]], connections: dict[int, str]) -> dict[int, list[str]]:
    """Queue on `pipe` one message per web process, to its mailbox (mudserver.mailbox), which hands
    each player's frames to their socket there. Through the players' groups it would be a message
    per player, each read with its own round trips (channels-redis carries about 3,400 group
    messages a second on this box). Returns the players with no known connection, for their groups."""
    by_mailbox: dict[str, list] = defaultdict(list)
    unplaced = {}
    for character_id, player_texts in texts.items():
        channel = connections.get(character_id, "")
        if "!" in channel:
            by_mailbox[mailbox_of(channel)].append([character_id, player_texts])
        else:
            unplaced[character_id] = player_texts
    for mailbox, players in by_mailbox.items():
        pipe.rpush(mailbox, json.dumps(players, ensure_ascii=False))
        pipe.ltrim(mailbox, -MAILBOX_CAPACITY, -1)
        pipe.expire(mailbox, MAILBOX_EXPIRY)
    return unplaced


async def _texts_by_group(texts: dict[int, list[str]], moves: dict[int, str] | None = None) -> None:
    layer = get_channel_layer()
    moves = moves or {}
    for character_id, player_texts in texts.items():
        message = {"type": "player.frames", "texts": player_texts, "scene": moves.get(character_id)}
        await layer.group_send(player_group(character_id), message)


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
