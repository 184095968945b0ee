"""Client frames of PROTOCOL.md: parse and validate, or raise BadFrame with the error to send."""

import json

from django.conf import settings
from django.utils.translation import gettext as _

FRAME_FIELDS = {"command": ("line",), "chat": ("text",), "ping": ()}
# How an encoded status frame begins: every server frame is json.dumps of a dict whose first key is "type".
STATUS_TEXT_PREFIX = '{"type": "status"'
OUTPUT_TEXT_PREFIX = '{"type": "output"'


class BadFrame(Exception):
    def __init__(self, code: str, text: str):
        super().__init__(code)
        self.code, self.text = code, text


def frame_parse(text_data: str | None, bytes_data: bytes | None) -> dict:
    cap = settings.GAME["MAX_FRAME_BYTES"]
    if _frame_bytes_over(text_data, bytes_data, cap):
        raise BadFrame("too_long", _("A frame may hold at most %(limit)d bytes.") % {"limit": cap})
    if text_data is None:
        raise BadFrame("bad_frame", _("Binary frames are not accepted; send JSON text."))
    try:
        frame = json.loads(text_data)
    except Exception:  # not only ValueError: deep nesting raises RecursionError, for one
        raise BadFrame("bad_frame", _("The frame is not valid JSON.")) from None
    if not isinstance(frame, dict):
        raise BadFrame("bad_frame", _("A frame must be a JSON object."))
    kind = frame.get("type")
    if not isinstance(kind, str) or kind not in FRAME_FIELDS:
        raise BadFrame("bad_frame", _("Unknown frame type; expected command, chat or ping."))
    for name in FRAME_FIELDS[kind]:
        if not isinstance(frame.get(name), str):
            raise BadFrame("bad_frame", _("The field '%(field)s' must be a string.") % {"field": name})
    if kind == "chat" and "to" in frame and not isinstance(frame["to"], str):
        raise BadFrame("bad_frame", _("The field '%(field)s' must be a string.") % {"field": "to"})
    # JSON may escape half of a surrogate pair ("\ud800"), which no text can hold: refused here,
    # before a reply that quotes it, Redis or the database fails to encode it.
    for name in ("line", "text", "to"):
        if isinstance(frame.get(name), str) and not _encodable(frame[name]):
            raise BadFrame("bad_frame", _("The frame is not valid JSON."))
    limit = settings.GAME["MAX_LINE"]
    for name in ("line", "text"):
        if isinstance(frame.get(name), str) and len(frame[name]) > limit:
            raise BadFrame("too_long", _("A line may hold at most %(limit)d characters.") % {"limit": limit})
    return frame


def _frame_bytes_over(text_data: str | None, bytes_data: bytes | None, cap: int) -> bool:
    """Whether the frame is over `cap` bytes (UTF-8 for text), without encoding the common short one:
    a character takes at most 4 bytes."""
    if text_data is None:
        return len(bytes_data or b"") > cap
    length = len(text_data)
    return length > cap or (length * 4 > cap and len(text_data.encode("utf-8", "surrogatepass")) > cap)


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- server frames (PROTOCOL.md): every frame a player is sent is made here


def output_frame(*, scene: str, text: str, input: str, lang: str | None = None) -> dict:
    frame = {"type": "output", "scene": scene, "text": text, "input": input}
    return frame if lang is None else {**frame, "lang": lang}


def output_text_with_commands(text: str, commands: tuple[str, ...]) -> str:
    """An encoded output frame with its `commands` added: the connection adds them to whichever
    output frame it sends (its own or one pushed encoded), only when they changed."""
    return f'{text[:-1]}, "commands": {json.dumps(list(commands), ensure_ascii=False)}}}'


def status_frame(character: dict | None) -> dict:
    return {"type": "status", "character": character}


def error_frame(code: str, text: str) -> dict:
    return {"type": "error", "code": code, "text": text}


def pong_frame() -> dict:
    return {"type": "pong"}


def chat_frame(*, channel: str, sender: str, text: str, at: str, to: str = "") -> dict:
    """A chat message; a whisper also names its recipient."""
    frame = {"type": "chat", "channel": channel, "from": sender}
    if to:
        frame["to"] = to
    return {**frame, "text": text, "at": at, "whisper": bool(to)}


def chat_presence_frame(*, channel: str, members: int, capacity: int, joined: str | None, left: str | None) -> dict:
    return {
        "type": "chat_presence",
        "channel": channel,
        "members": members,
        "capacity": capacity,
        "joined": joined,
        "left": left,
    }
