"""Chat: messages to the player's channel, whispers, history, mutes, the message log and the sweep
of connections that vanished without a goodbye (GAME.md §7)."""

import json
import re
from dataclasses import dataclass
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Character, User
from accounts.validation import name_as_stored
from battles.services import battle_offline
from chat import channels
from chat.events import ChatMoved
from chat.models import ChatMessage
from mudserver import metrics
from mudserver.events import ChatPresence, ChatSaid
from mudserver.markup import escape
from mudserver.player_keys import player_keys_idle
from mudserver.presence import heartbeat_key, online_character_id, presence_forget
from mudserver.protocol import chat_frame, chat_presence_frame
from mudserver.push import members_tell_queue, tell
from mudserver.redis_client import get_async_redis, get_redis
from mudserver.text import text_clean

LOG_KEY = "mud:chat:log"
WHISPER = "whisper"
WHISPER_RE = re.compile(r"^/w (\S+) (.+)$")  # on cleaned text: one line, single spaces
WHISPER_START_RE = re.compile(r"^/w( |$)")


def history_key(channel: str) -> str:
    return f"mud:chat:h:{channel}"


def mute_key(character_id: int) -> str:
    return f"mud:mute:{character_id}"


def presence_event(channel: str, members: int, *, joined: str | None = None, left: str | None = None) -> ChatPresence:
    return ChatPresence(channel, members, channels.capacity_of(channel), joined, left)


def presence_frame(presence: ChatPresence) -> dict:
    """The frame a player joining sees (the others are told the event)."""
    return chat_presence_frame(
        channel=presence.channel,
        members=presence.members,
        capacity=presence.capacity,
        joined=presence.joined,
        left=presence.left,
    )


async def history_frames(channel: str) -> list[dict]:
    """The last messages of a channel, oldest first."""
    raw = await get_async_redis().lrange(history_key(channel), 0, settings.GAME["CHAT_HISTORY"] - 1)
    return [json.loads(item) for item in reversed(raw)]


@dataclass
class Refusal:
    """Why a message was not sent: an error frame's code, or a notice for the terminal (code None)."""

    code: str | None
    text: str


async def chat_say(*, character_id: int, name: str, text: str, to: str | None = None) -> Refusal | None:
    """Send a message to the player's channel, or whisper it; None when it went out. The text is
    cleaned first (mudserver.text): one line, nothing invisible, its length counted on what is shown."""
    typed, text = text, text_clean(text)
    whisper = WHISPER_RE.match(text)
    if to is None and whisper:
        to, text = whisper.group(1), whisper.group(2)
    elif to is None and WHISPER_START_RE.match(text):  # `/w name` and nothing else: never said aloud
        return Refusal(None, _("Whisper with /w <name> <message>."))
    if not text:
        if typed.strip():
            return Refusal(None, _("The message holds only invisible or control characters; nothing was sent."))
        return Refusal(None, _("An empty message is not sent."))
    limit = settings.GAME["CHAT_MAX_LENGTH"]
    if len(text) > limit:
        return Refusal("too_long", _("A chat message may hold at most %(limit)d characters.") % {"limit": limit})
    # One round trip for both: chat is the busiest thing players do besides commands.
    muted_until, channel = (
        await get_async_redis()
        .pipeline(transaction=False)
        .get(mute_key(character_id))
        .get(channels.at_key(character_id))
        .execute()
    )
    if muted_until:
        return Refusal(None, mute_text(muted_until))
    now = timezone.now().isoformat()
    if to is not None:
        return await _whisper(character_id, name, name_as_stored(text_clean(to)), text, now)
    if channel is None:
        return Refusal(None, _("You are not in a chat channel."))
    frame = chat_frame(channel=channel, sender=name, text=text, at=now)
    # The message is kept and told to the channel's members in one round trip.
    pipe = get_async_redis().pipeline(transaction=False)
    _record_queue(pipe, frame, character_id, channel, history=True)
    members_tell_queue(pipe, channels.members_key(channel), ChatSaid(channel, name, text, now))
    await pipe.execute()
    metrics.CHAT_MESSAGES.inc()
    return None


def mute_text(muted_until: str) -> str:
    until = timezone.localtime(datetime.fromisoformat(muted_until)).strftime("%Y-%m-%d %H:%M")
    return _("A game master has muted you until %(until)s.") % {"until": until}


async def mute_notice(character_id: int) -> str | None:
    """Why a player may not show text to others now (a game master's mute), or None. Anything a player
    writes that others see asks this first: a mute covers every way of showing text (GAME.md §7)."""
    muted_until = await get_async_redis().get(mute_key(character_id))
    return mute_text(muted_until) if muted_until else None


async def _whisper(character_id: int, name: str, to: str, text: str, now: str) -> Refusal | None:
    if not to:
        return Refusal(None, _("Whisper with /w <name> <message>."))
    if to == name:
        return Refusal(None, _("You can't whisper to yourself."))
    recipient = await online_character_id(to)
    if recipient is None:
        if await database_sync_to_async(Character.objects.filter(name=to).exists)():
            return Refusal(None, _("%(name)s is not online.") % {"name": escape(to)})
        return Refusal(None, _("There is no character named '%(name)s'.") % {"name": escape(to)})
    frame = chat_frame(channel=WHISPER, sender=name, text=text, at=now, to=to)
    pipe = get_async_redis().pipeline(transaction=False)
    _record_queue(pipe, frame, character_id, WHISPER, history=False)
    await pipe.execute()
    await tell([recipient, character_id], ChatSaid(WHISPER, name, text, now, to))
    metrics.CHAT_MESSAGES.inc()
    return None


def _record_queue(pipe, frame: dict, character_id: int, channel: str, *, history: bool) -> None:
    """Queue on `pipe` the message's place in the channel's history and in the log for the database."""
    entry = {
        "channel": channel,
        "sender": character_id,
        "from": frame["from"],
        "to": frame.get("to", ""),
        "text": frame["text"],
        "at": frame["at"],
    }
    if history:
        pipe.lpush(history_key(channel), json.dumps(frame, ensure_ascii=False))
        pipe.ltrim(history_key(channel), 0, settings.GAME["CHAT_HISTORY"] - 1)
        # Arena rooms come and go by any name players choose: a silent channel's history goes.
        pipe.expire(history_key(channel), settings.GAME["PLAYER_IDLE_SECONDS"])
    pipe.rpush(LOG_KEY, json.dumps(entry, ensure_ascii=False))


def chat_log_flush(*, batch: int = 1000) -> int:
    """Write the messages waiting in Redis to the database (for game masters' searches). A batch
    the database refuses goes back to the front of the list, for the next flush."""
    r = get_redis()
    written = 0
    while True:
        pipe = r.pipeline(transaction=True)
        pipe.lrange(LOG_KEY, 0, batch - 1)
        pipe.ltrim(LOG_KEY, batch, -1)
        raw, _trimmed = pipe.execute()
        if not raw:
            return written
        try:
            written += _log_write([json.loads(item) for item in raw])
        except Exception:
            r.lpush(LOG_KEY, *reversed(raw))  # back in front, in order, for the next flush
            raise


def _log_write(entries: list[dict]) -> int:
    known = set(Character.objects.filter(pk__in={e["sender"] for e in entries}).values_list("pk", flat=True))
    rows = [
        ChatMessage(
            channel=e["channel"],
            sender_id=e["sender"] if e["sender"] in known else None,
            sender_name=e["from"],
            recipient_name=e["to"],
            text=e["text"],
            created_at=datetime.fromisoformat(e["at"]),
        )
        for e in entries
    ]
    with transaction.atomic():
        ChatMessage.objects.bulk_create(rows)
    return len(rows)


def chat_mute(*, character_id: int, until: datetime | None) -> None:
    """Mute a player's chat until a time (None lifts it), at once on every web process."""
    character = Character.objects.select_related("user").get(pk=character_id)
    User.objects.filter(pk=character.user_id).update(chat_muted_until=until)
    r = get_redis()
    if until is None or until <= timezone.now():
        r.delete(mute_key(character_id))
    else:
        r.set(mute_key(character_id), until.isoformat(), exat=_mute_end(until))


async def chat_mute_restore(character_id: int, until: datetime | None) -> None:
    """Put a mute kept in the database back into Redis, which a restart empties (on every sign-in)."""
    if until is not None and until > timezone.now():
        await get_async_redis().set(mute_key(character_id), until.isoformat(), exat=_mute_end(until))


def _mute_end(until: datetime) -> int:
    return int(until.timestamp()) + 1


def presence_sweep() -> int:
    """Remove the players whose connection vanished without a goodbye (a web process killed): their
    heartbeat key has expired. As on a sign-out, their battle goes on offline (capped) and what they
    keep in Redis expires after the idle time. Returns how many were removed."""
    gone = async_to_sync(_sweep)()
    for character_id in gone:
        battle_offline(character_id)
    return len(gone)


async def _sweep() -> list[int]:
    r = get_async_redis()
    members = [int(m) for m in await r.smembers(channels.ALL_KEY)]
    if not members:
        return []
    pipe = r.pipeline(transaction=False)
    for character_id in members:
        pipe.exists(heartbeat_key(character_id))
    alive = await pipe.execute()
    gone = [character_id for character_id, beat in zip(members, alive, strict=True) if not beat]
    for character_id in gone:
        left = await channels.channel_leave(character_id)
        name = await presence_forget(character_id)
        await player_keys_idle(character_id)
        if left is not None:
            await channels.channel_tell(left.channel, presence_event(left.channel, left.members, left=name))
    return gone


async def chat_move(*, character_id: int, room: str | None) -> None:
    """Move a connected player's chat into a room channel (an arena room: `room-<id>`), or with
    None back to a global shard; from any process (the player's connection does the move)."""
    await tell([character_id], ChatMoved(room))
