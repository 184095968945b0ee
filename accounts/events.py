"""What game masters' actions tell a player (mudserver.events), rendered by accounts.gm."""

from dataclasses import dataclass

from mudserver.events import Event


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
