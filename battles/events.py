"""What a battle tells its player (mudserver.events), rendered by battles.feed."""

from dataclasses import dataclass

from mudserver.events import Event


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
