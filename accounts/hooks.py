"""What accounts asks of the features without importing them (the features register here in their
AppConfig.ready(); accounts imports no other feature app):

- `fight_scene`: the scene of the player's running fight, or None (battles): the main menu says
  a fight goes on, and [D]ungeon goes back to it.
- `deletion_hooks`: run in order with (character_id, name) once a deleted account's player signed
  out: what the player left running ends (battles: the battle; arena: the match, forfeited).
- `chat_muter`: mutes a character until a time, or unmutes with None (chat), for game masters.
- `reserved_names`: names nobody may take, in every language (village: the NPCs').
"""

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from mudserver.registry import Named, OrderedHooks, Provider

fight_scene: Provider[Callable[[int], Awaitable[str | None]]] = Provider("the scene of a running fight")
deletion_hooks: OrderedHooks[Callable[[int, str], Awaitable[None]]] = OrderedHooks("account deletion hook")
chat_muter: Provider[Callable[..., None]] = Provider("the chat mute")
reserved_names: Named[Callable[[], Iterable[str]]] = Named("reserved names")


def chat_mute(*, character_id: int, until: datetime | None) -> None:
    chat_muter.get()(character_id=character_id, until=until)
