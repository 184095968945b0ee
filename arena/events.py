"""What the arena tells its players (mudserver.events), rendered by arena.presenters."""

from dataclasses import dataclass

from mudserver.events import Event


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
