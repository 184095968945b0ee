"""The status bar follows from the change itself: whoever changes a character's status fields (the
hot state's mutate, a battle's cycle) turns the change into one `StatusChanged` event here."""

from battles.rules import exp_to_leave
from mudserver.events import StatusChanged
from mudserver.push import tell

# The status bar's fields (PROTOCOL.md) that live in the hot state; `exp_next` follows from the level.
STATUS_FIELDS = ("level", "hp", "max_hp", "mp", "max_mp", "exp", "attack", "defense", "weapon_level")


State = dict[str, int]


def status_event(before: State, after: State) -> StatusChanged | None:
    """The status bar after a change, or None when the change left it as it was."""
    if all(before.get(name) == after.get(name) for name in STATUS_FIELDS):
        return None
    values = {name: int(after[name]) for name in STATUS_FIELDS}
    return StatusChanged(**values, exp_next=exp_to_leave(values["level"]))


async def status_tell(character_id: int, before: State, after: State) -> None:
    event = status_event(before, after)
    if event is not None:
        await tell([character_id], event)
