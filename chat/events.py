"""Chat's events for the connection (mudserver.events)."""

from dataclasses import dataclass

from mudserver.events import Event


@dataclass(frozen=True)
class ChatMoved(Event):
    """The player's chat moves to a room channel, or back to a global shard (None)."""

    kind = "chat.moved"
    action = "chat_move"  # the connection switches its chat (chat.hooks)
    room: str | None
