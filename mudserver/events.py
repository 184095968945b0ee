"""What services and workers tell players: every event type, the one schema (DESIGN.md, "Pushes").

An event says what happened in plain data (numbers, names, ids), never in words or frames: each
app's presenter (registered with mudserver.push) renders its events in each player's language.
Each type has a stable `kind` and a `version`, bumped when its fields change meaning. Events are
data only, so this module imports no feature app; `event_check` validates one against its
annotations (the tests turn it on for every event that reaches `tell`, GAME["EVENT_CHECK"]).
"""

import types
import typing
from dataclasses import dataclass, fields
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = ""
    version: ClassVar[int] = 1

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


@dataclass(frozen=True)
class ChatMoved(Event):
    """The player's chat moves to a room channel, or back to a global shard (None)."""

    kind = "chat.moved"
    room: str | None


# --- battles


@dataclass(frozen=True)
class FightLine:
    """One line of a fight (battles.engine.Event without its time)."""

    kind: str
    value: int
    ref: int
    strength: str


@dataclass(frozen=True)
class BattleCycle(Event):
    """What a battle's cycle did, for the player watching it (or moved by it: a death, an encounter)."""

    kind = "battle.cycle"
    lines: tuple[FightLine, ...]
    scene: str = ""  # where the cycle moves the player

    @property
    def moves_to(self) -> str:
        return self.scene


# --- the arena


@dataclass(frozen=True)
class Fighter:
    name: str
    team: str
    level: int
    damage: int
    hp: int
    max_hp: int


@dataclass(frozen=True)
class ArenaJoined(Event):
    kind = "arena.joined"
    name: str
    players: int


@dataclass(frozen=True)
class ArenaLeft(Event):
    kind = "arena.left"
    name: str


@dataclass(frozen=True)
class ArenaMatchSoon(Event):
    kind = "arena.match_soon"


@dataclass(frozen=True)
class ArenaMatchStarted(Event):
    kind = "arena.match_started"
    fighters: tuple[Fighter, ...]

    @property
    def moves_to(self) -> str:
        return "arena_match"


@dataclass(frozen=True)
class ArenaHit(Event):
    kind = "arena.hit"
    attacker: str
    target: str
    damage: int
    hp: int
    max_hp: int


@dataclass(frozen=True)
class ArenaTable(Event):
    """The match's status table, every 10 s while it lasts."""

    kind = "arena.table"
    fighters: tuple[Fighter, ...]


@dataclass(frozen=True)
class ArenaMatchEnded(Event):
    kind = "arena.match_ended"
    winner: str
    reward: int
    fighters: tuple[Fighter, ...]


@dataclass(frozen=True)
class ArenaForfeit(Event):
    kind = "arena.forfeit"
    name: str


@dataclass(frozen=True)
class ArenaRoomClosed(Event):
    kind = "arena.room_closed"

    @property
    def moves_to(self) -> str:
        return "village"


# --- game masters (accounts.gm)


@dataclass(frozen=True)
class GmNotice(Event):
    kind = "gm.notice"
    text: str


@dataclass(frozen=True)
class GmChanged(Event):
    """A game master changed the character: `what` is heal, exp, weapon, reset or edit."""

    kind = "gm.changed"
    what: str
    amount: int = 0  # the exp granted, the weapon level set


@dataclass(frozen=True)
class GmMuted(Event):
    kind = "gm.muted"
    until: str  # the game's local time, as shown; "" when the mute is lifted


EVENT_TYPES: tuple[type[Event], ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, type) and issubclass(value, Event) and value.kind
)


class SchemaError(TypeError):
    pass


def event_check(event: Event) -> None:
    """Raise SchemaError unless `event` is one of EVENT_TYPES with every field of its annotated type."""
    if type(event) not in EVENT_TYPES:
        raise SchemaError(f"{type(event).__name__} is not an event type of mudserver.events")
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
