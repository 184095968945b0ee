"""The one module that sends to players (DESIGN.md, "Pushes"): `tell(players, event)`.

Services and workers tell players typed events (mudserver.events); each app registers a presenter
that renders its events in a language (`presenter`), and this module turns what it renders into
PROTOCOL.md frames, each encoded once per language and scene. Everything but a command's own reply
takes one route: the mailbox of the web process that holds the player's connection, a Redis list
that process alone reads in order (mudserver.mailbox). So a player sees the events told to them in
the order they were told, whichever process told them. A move (an event's `moves_to`) travels with
its event, and the connection writes the new scene, once.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass

from django.conf import settings
from django.utils import translation

from mudserver.events import ChatPresence, ChatSaid, Event, SchemaError, StatusChanged, event_check
from mudserver.protocol import chat_frame, chat_presence_frame, output_frame, status_frame
from mudserver.redis_client import get_async_redis, get_redis
from mudserver.registry import Named
from mudserver.router import SCENES
from mudserver.scene_store import PLAYER_PREFIX, player_key

# What a presenter renders for one event in one language: text for the terminal (an output frame
# in the player's scene) or a frame of mudserver.protocol.
View = str | dict
Presenter = Callable[[Event, str], list[View]]
presenters: Named[Presenter] = Named("the presenter of event kind")


def presenter(*event_types: type[Event]):
    """Register the decorated function as the presenter of `event_types` (in the app's ready())."""

    def register(present: Presenter) -> Presenter:
        for event_type in event_types:
            presenters.add(event_type.kind, present)
        return present

    return register


@dataclass(frozen=True)
class Route:
    """Where a player is and how to speak to them: their connection ("" when they have none),
    language, scene and name (mudserver.scene_store keeps them in the player's hash)."""

    connection: str
    lang: str = "ko"
    scene: str = ""
    name: str = ""


_ROUTE_FIELDS = ("channel", "lang", "scene", "name")
# What a connection does with an event that names an action (Event.action: chat.hooks registers
# "chat_move"); the rest is frames.
ConnectionAction = Callable
connection_actions: Named[ConnectionAction] = Named("the connection action")

# While a command is handled, the player it is for: their status bar goes with the command's reply
# (mudserver.consumers) rather than through the mailbox.
commanding: ContextVar[dict | None] = ContextVar("commanding", default=None)

Told = tuple[Iterable[int], Event]


async def tell(players: Iterable[int], event: Event, *, routes: Mapping[int, Route] | None = None) -> None:
    """Tell these players `event`, each in their own language. `routes`, when the caller has read
    them already (a chat channel's connections), spares reading them again."""
    await tell_many([(players, event)], routes=routes)


def tell_sync(players: Iterable[int], event: Event, *, routes: Mapping[int, Route] | None = None) -> None:
    tell_many_sync([(players, event)], routes=routes)


async def tell_many(told: list[Told], *, routes: Mapping[int, Route] | None = None) -> None:
    told = _checked(told)
    routes = dict(routes or {})
    wanted = _unrouted(told, routes)
    if wanted:
        pipe = get_async_redis().pipeline(transaction=False)
        _routes_queue(pipe, wanted)
        routes.update(_routes_of(wanted, await pipe.execute()))
    mail = _mail(told, routes)
    if mail:
        pipe = get_async_redis().pipeline(transaction=False)
        _mail_queue(pipe, mail)
        await pipe.execute()


def tell_many_sync(told: list[Told], *, routes: Mapping[int, Route] | None = None) -> None:
    """As tell_many, from synchronous code (a battle worker, an admin action)."""
    told = _checked(told)
    routes = dict(routes or {})
    wanted = _unrouted(told, routes)
    if wanted:
        pipe = get_redis().pipeline(transaction=False)
        _routes_queue(pipe, wanted)
        routes.update(_routes_of(wanted, pipe.execute()))
    mail = _mail(told, routes)
    if mail:
        pipe = get_redis().pipeline(transaction=False)
        _mail_queue(pipe, mail)
        pipe.execute()


def _checked(told: list[Told]) -> list[tuple[list[int], Event]]:
    told = [(list(players), event) for players, event in told]
    if settings.GAME["EVENT_CHECK"]:
        for _players, event in told:
            try:
                event_check(event)
            except SchemaError as error:
                get_redis().sadd(EVENTS_BAD_KEY, str(error))  # for the tests' check, whichever process told it
                raise
    me = commanding.get()
    if me is not None and any(_own_status(me, players, event) for players, event in told):
        # The commanding player's status bar is read and sent after the command's reply.
        me["status"] = True
        told = [(players, event) for players, event in told if not _own_status(me, players, event)]
    return told


def _own_status(me: dict, players: list[int], event: Event) -> bool:
    return isinstance(event, StatusChanged) and players == [me["id"]]


# With GAME["EVENT_CHECK"] (the tests): what failed the schema, for tests/conftest.py to assert after each test.
EVENTS_BAD_KEY = "mud:test:events:bad"


def _unrouted(told: list[tuple[list[int], Event]], routes: dict[int, Route]) -> list[int]:
    return list(dict.fromkeys(cid for players, _event in told for cid in players if cid not in routes))


def _routes_queue(pipe, character_ids: list[int]) -> None:
    for character_id in character_ids:
        pipe.hmget(player_key(character_id), *_ROUTE_FIELDS)


def _routes_of(character_ids: list[int], replies: list) -> dict[int, Route]:
    return {
        character_id: Route(channel or "", lang or "ko", scene or "", name or "")
        for character_id, (channel, lang, scene, name) in zip(character_ids, replies, strict=True)
    }


Mail = dict[str, dict[tuple[str, int | None], list]]


def _mail(told: list[tuple[list[int], Event]], routes: dict[int, Route]) -> Mail:
    """For each web process's mailbox, each player's items in the order told, by their connection:
    encoded frames, and a move or an action for the connection itself. A player with no connection
    is told nothing."""
    mail: Mail = defaultdict(lambda: defaultdict(list))
    for players, event in told:
        rendered: dict[tuple, list] = {}
        moves_to, named = event.moves_to, isinstance(event, StatusChanged)
        # Chat is the same in every language and scene: rendered once for the whole channel.
        neutral = isinstance(event, ChatSaid | ChatPresence)
        for character_id in players:
            route = routes.get(character_id)
            if route is None or "!" not in route.connection:
                continue
            if neutral:
                key, scene = (), ""
            else:
                scene = moves_to or (route.scene if route.scene in SCENES else "front")
                key = (route.lang, scene, route.name if named else "")
            items = rendered.get(key)
            if items is None:
                items = rendered[key] = _items(event, route, scene)
            mail[mailbox_of(route.connection)][route.connection, character_id] += items
    return mail


def _items(event: Event, route: Route, scene: str) -> list:
    items: list = [{"scene": scene}] if event.moves_to else []
    if event.action:
        return [*items, {"act": event.action, **asdict(event)}]
    if isinstance(event, StatusChanged):
        # The fields in PROTOCOL.md's order, as the connection's own status frames have them: a
        # status frame like the connection's last one is left out (mudserver.consumers).
        character = {"name": route.name, **asdict(event)}
        return [*items, _encoded(status_frame(character))]
    if isinstance(event, ChatSaid):
        frame = chat_frame(channel=event.channel, sender=event.sender, text=event.text, at=event.at, to=event.to)
        # Said by someone: each connection drops it if its player ignores them (GameConsumer.told).
        return [*items, {"said_by": event.sender, "frame": _encoded(frame)}]
    if isinstance(event, ChatPresence):
        return [*items, _encoded(chat_presence_frame(**asdict(event)))]
    with translation.override(route.lang):
        views = presenters.get(event.kind)(event, route.lang)
    for view in views:
        frame = view if isinstance(view, dict) else output_frame(scene=scene, text=view, input=input_of(scene))
        items.append(_encoded(frame))
    return items


def _encoded(frame: dict) -> str:
    return json.dumps(frame, ensure_ascii=False)


def input_of(scene: str) -> str:
    """Whether the player's next line is masked there (a password) or not."""
    return SCENES[scene].input


# A web process's mailbox is a Redis list that only it reads: a push is one RPUSH in the sender's
# pipeline and a read one BLPOP, where a channel-layer message took four round trips to send and
# three to receive (channels-redis carries about 3,400 group messages a second on this box). The
# newest MAILBOX_CAPACITY messages are kept; a mailbox nobody reads (its process died) disappears
# MAILBOX_EXPIRY seconds after the last push.
MAILBOX_PREFIX = "mud:mbox:"
MAILBOX_CAPACITY = 1000
MAILBOX_EXPIRY = 30


def mailbox_of(connection: str) -> str:
    """The mailbox of the web process that holds `connection` (channels-redis names a process's
    channels `specific.<process>!<socket>`)."""
    return MAILBOX_PREFIX + connection[: connection.index("!")]


def _mail_queue(pipe, mail: Mail) -> None:
    """One message per web process: [connection, player, items] for each player told there (the
    connection drops what was meant for a player it no longer holds)."""
    for mailbox, players in mail.items():
        message = [[connection, character_id, items] for (connection, character_id), items in players.items()]
        pipe.rpush(mailbox, json.dumps(message, ensure_ascii=False))
        pipe.ltrim(mailbox, -MAILBOX_CAPACITY, -1)
        pipe.expire(mailbox, MAILBOX_EXPIRY)


# Tell each character in a set (KEYS[1], of ids) one list of items (ARGV[3], JSON), from inside Redis:
# where each is (their hash's `channel`, ARGV[1] the hashes' prefix) and their process's mailbox
# (ARGV[2] the mailboxes' prefix), filled as _mail_queue fills it (ARGV[4] capacity, ARGV[5] expiry).
_MEMBERS_TELL = """
local boxes, order = {}, {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local connection = redis.call('HGET', ARGV[1] .. id, 'channel')
  local bang = connection and string.find(connection, '!', 1, true)
  if bang then
    local box = ARGV[2] .. string.sub(connection, 1, bang - 1)
    if not boxes[box] then
      boxes[box] = {}
      order[#order + 1] = box
    end
    local told = boxes[box]
    told[#told + 1] = '[' .. cjson.encode(connection) .. ',' .. id .. ',' .. ARGV[3] .. ']'
  end
end
for _, box in ipairs(order) do
  redis.call('RPUSH', box, '[' .. table.concat(boxes[box], ',') .. ']')
  redis.call('LTRIM', box, -tonumber(ARGV[4]), -1)
  redis.call('EXPIRE', box, ARGV[5])
end
return #order
"""


def members_tell_queue(pipe, members_key: str, event: ChatSaid | ChatPresence) -> None:
    """Queue on `pipe` telling everyone in the set `members_key` (character ids) an event that reads
    alike in every language and scene (a chat channel's message or presence). Where each member is
    connected is read in Redis, in the same round trip as whatever else `pipe` carries: a channel's
    fan-out costs the sender no round trip of its own, nor a route per member."""
    ((_players, event),) = _checked([([], event)])
    if not isinstance(event, ChatSaid | ChatPresence):
        raise TypeError(f"{event.kind} is not told alike to everyone")
    items = json.dumps(_items(event, Route(""), ""), ensure_ascii=False)
    pipe.eval(_MEMBERS_TELL, 1, members_key, PLAYER_PREFIX, MAILBOX_PREFIX, items, MAILBOX_CAPACITY, MAILBOX_EXPIRY)


async def connection_close(connection: str, *, code: int, reason: str) -> None:
    """Tell one connection to say `reason` to its player and close (a takeover, a kick, a ban), in
    turn with what it was told before."""
    pipe = get_async_redis().pipeline(transaction=False)
    _mail_queue(pipe, {mailbox_of(connection): {(connection, None): [{"close": code, "reason": reason}]}})
    await pipe.execute()
