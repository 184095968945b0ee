"""What the shell asks of the game, registered by the feature apps in their AppConfig.ready()
(the scenes, global commands, help topics and arrival hooks are the router's: mudserver.router).

- `character_loader`: the account's playable character, or None (accounts).
- `status_frame`: a character's status-bar frame (accounts).
- `sign_in_hooks`: run in order with the loaded character before the connection claims it: its hot
  state in Redis (accounts), a chat mute kept in the database put back (chat).
- `sign_out_hooks`: run in order with the character id when a player signs out, before anything
  else: what needs the database, so that its being away leaves nothing changed (accounts).
- `frame_handlers`: a frame type other than `line` and `ping` (`chat`: chat) -> its handler.
- the actions a connection takes on an event that names one (`chat_move`: chat) are
  mudserver.push's `connection_actions`; each event kind's presenter, mudserver.push's `presenters`.
- `player_keys`: the Redis keys a player keeps while connected, each by the app that owns it.
- `place_details`: for an area, where a player is within it (battles: the dungeon fought in).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mudserver.registry import Named, OrderedHooks, Provider


class Account(Protocol):
    is_staff: bool


class Player(Protocol):
    """A character as the shell sees it."""

    pk: int
    name: str
    level: int
    user: Account


class FrameRefusal(Protocol):
    """Why a frame was not done: an error frame's code, or a notice for the terminal (code None)."""

    code: str | None
    text: str


@dataclass(frozen=True)
class PlaceDetail:
    """Where in an area a player is: a field of a key the player keeps (read in the same round
    trip as the scene), else the same field of the scene's data."""

    key_of: Callable[[int], str]
    field: str


character_loader: Provider[Callable[[int], Awaitable[Player | None]]] = Provider("the character of an account")
status_frame: Provider[Callable[[int | None, str | None], Awaitable[dict]]] = Provider("the status frame")
sign_in_hooks: OrderedHooks[Callable[[Any], Awaitable[None]]] = OrderedHooks("sign-in hook")
sign_out_hooks: OrderedHooks[Callable[[int], Awaitable[None]]] = OrderedHooks("sign-out hook")
frame_handlers: Named[Callable[[Any, dict], Awaitable[FrameRefusal | None]]] = Named("frame type")
player_keys: Named[Callable[[int], str]] = Named("player key")
place_details: Named[PlaceDetail] = Named("place detail")
