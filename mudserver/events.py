"""What services and workers tell players: the event type, the shell's own events and the one
schema check (DESIGN.md, "Pushes").

An event says what happened in plain data (numbers, names, ids), never in words or frames: each
app defines its events (its `events` module: battles, arena, chat, accounts) and registers a
presenter with mudserver.push that renders them in each player's language. Each type has a stable
`kind`, claimed once, and a `version`, bumped when its fields change meaning. The shell's own are
those that are PROTOCOL.md frames in every language: the status bar and chat. `event_check`
validates an event against its annotations (the tests turn it on for every event that reaches
`tell`, GAME["EVENT_CHECK"]).
"""

import types
import typing
from dataclasses import dataclass, fields
from typing import ClassVar

from mudserver.registry import RegistryError

# Every event type by its kind, as the apps define them (Event.__init_subclass__).
EVENT_TYPES: dict[str, type["Event"]] = {}


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""
    version: ClassVar[int] = 1
    # An event the connection acts on rather than shows: the name of its action (mudserver.push's
    # `connection_actions`, registered by the app that defines the event); "" for one rendered.
    action: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind:
            claimed = EVENT_TYPES.setdefault(cls.kind, cls)
            if claimed is not cls:
                raise RegistryError(f"event kind {cls.kind!r} is {claimed.__qualname__}'s already")

    @property
    def moves_to(self) -> str:
        """The scene the event moves its players to ("" for none): the connection writes it, once."""
        return ""


# --- the shell's own: the status bar and chat (PROTOCOL.md frames, the same in every language)


@dataclass(frozen=True)
class StatusChanged(Event):
    """A character's status fields changed (sent by the state owner, accounts.status)."""

    kind = "status.changed"
    level: int
    hp: int
    max_hp: int
    mp: int
    max_mp: int
    exp: int
    exp_next: int | None  # None at the top level
    attack: int
    defense: int
    weapon_level: int


@dataclass(frozen=True)
class ChatSaid(Event):
    kind = "chat.said"
    channel: str
    sender: str
    text: str
    at: str  # ISO 8601
    to: str = ""  # a whisper's recipient


@dataclass(frozen=True)
class ChatPresence(Event):
    kind = "chat.presence"
    channel: str
    members: int
    capacity: int
    joined: str | None = None
    left: str | None = None


class SchemaError(TypeError):
    pass


def event_check(event: Event) -> None:
    """Raise SchemaError unless `event` is one of EVENT_TYPES with every field of its annotated type."""
    if EVENT_TYPES.get(type(event).kind) is not type(event):
        raise SchemaError(f"{type(event).__name__} is not a registered event type")
    _value_check(type(event).__name__, event, type(event))


def _value_check(path: str, value, annotation) -> None:
    origin = typing.get_origin(annotation)
    if annotation is None or annotation is type(None):
        ok = value is None
    elif origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        for option in options:
            try:
                _value_check(path, value, option)
                return
            except SchemaError:
                pass
        ok = False
    elif origin is tuple:
        item_type = typing.get_args(annotation)[0]
        if not isinstance(value, tuple):
            raise SchemaError(f"{path}: {value!r} is not a tuple")
        for i, item in enumerate(value):
            _value_check(f"{path}[{i}]", item, item_type)
        return
    elif hasattr(annotation, "__dataclass_fields__"):
        if type(value) is not annotation:
            raise SchemaError(f"{path}: {value!r} is not a {annotation.__name__}")
        hints = typing.get_type_hints(annotation)
        for item in fields(annotation):
            _value_check(f"{path}.{item.name}", getattr(value, item.name), hints[item.name])
        return
    else:
        ok = type(value) is annotation  # bool is no int here, nor an int a str
    if not ok:
        raise SchemaError(f"{path}: {value!r} is not {annotation}")
