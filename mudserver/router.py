"""The scene router: every line a player types goes through `route_line`.

A scene has a stable name, an `enter` text and a table from aliases to handlers. A handler gets the
player's context and the rest of the line, and returns a `Reply`: what to show, the next scene and
whether the status bar changed. Handlers never touch the socket (DESIGN.md, "Scenes").
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.translation import gettext as _

from mudserver.markup import escape, red, yellow
from mudserver.registry import Listed, OrderedHooks, Table

Handler = Callable[["Context", str], Awaitable["Reply"]]
Permission = Callable[["Context"], Awaitable[bool]]
EnterText = Callable[["Context"], Awaitable[str]]


@dataclass
class Reply:
    text: str = ""
    goto: str | None = None
    status: bool = False
    carry: dict | None = None  # the next scene's starting `data` (a multi-step prompt's answers)


@dataclass
class Output:
    """What the consumer sends back for one line."""

    text: str
    scene: str
    input: str
    status: bool


@dataclass
class Arrival:
    """What a player finds on signing in or reconnecting: text for the terminal (a battle summary),
    a scene to be put in, and frames for the other panes (the chat's history and members).

    `scene` is where the player must be whether they sign in or resume (back in an arena match, at
    the healer after dying); `landing` is where one who signs in starts (watching the auto-battle
    that went on), while a resumed session stays in the scene it was in (GAME.md §1)."""

    text: str = ""
    scene: str | None = None
    frames: list[dict] = field(default_factory=list)
    landing: str | None = None


ArrivalHook = Callable[["Context"], Awaitable[Arrival | None]]
DepartureHook = Callable[["Context"], Awaitable[None]]
# Run by their order, not by the apps' order: where two arrivals name a scene, the later one's wins
# (a fighter back in an arena match goes to the match, not to the battle left behind).
arrival_hooks: OrderedHooks[ArrivalHook] = OrderedHooks("arrival hook")
departure_hooks: OrderedHooks[DepartureHook] = OrderedHooks("departure hook")


def on_arrival(hook: ArrivalHook, *, order: int) -> ArrivalHook:
    """Register a hook run when a player signs in or reconnects."""
    return arrival_hooks.add(hook, order=order)


def on_departure(hook: DepartureHook, *, order: int) -> DepartureHook:
    """Register a hook run when a player signs out or disconnects."""
    return departure_hooks.add(hook, order=order)


async def arrival_run(ctx: Context) -> Arrival:
    arrival = Arrival()
    for hook in arrival_hooks:
        found = await hook(ctx)
        if found is not None:
            arrival.text = "\n".join(t for t in (arrival.text, found.text) if t)
            arrival.scene = found.scene or arrival.scene
            arrival.landing = found.landing or arrival.landing
            arrival.frames += found.frames
    return arrival


async def departure_run(ctx: Context) -> None:
    for hook in departure_hooks:
        await hook(ctx)


class Connection(Protocol):
    """What a handler may ask of the connection it came from (implemented by the consumer)."""

    async def sign_in(self, user) -> Arrival | None: ...

    async def sign_out(self) -> None: ...

    async def set_language(self, lang: str) -> None: ...

    async def session_keep(self, user) -> None: ...


@dataclass
class Context:
    """The player as a handler sees it. `data` is scratch space owned by the current scene."""

    connection: Connection
    lang: str
    scene: str = "front"
    data: dict = field(default_factory=dict)
    user_id: int | None = None
    character_id: int | None = None
    name: str | None = None
    ip: str = ""
    # The account may use the admin (read on signing in): only then are game masters' commands
    # looked at, each of which checks its own permission anew.
    staff: bool = False
    # The players (names) whose chat and whispers this connection drops, filled by the chat app on
    # arrival and by its `ignore` commands; the connection filters what it is told (mudserver.push).
    ignored: set[str] = field(default_factory=set)

    @property
    def signed_in(self) -> bool:
        return self.character_id is not None

    def dump_scene(self) -> dict[str, str]:
        return {"scene": self.scene, "data": json.dumps(self.data)}

    def load_scene(self, stored: dict[str, str]) -> None:
        self.scene = stored.get("scene") or "front"
        self.data = json.loads(stored.get("data") or "{}")


@dataclass
class Command:
    aliases: tuple[str, ...]
    handler: Handler
    help: str = ""  # a lazy translation; shown by `help`
    # Who may use it (a game master's command); for anyone else it does not exist: not in the help,
    # and the line goes on as if it named no command.
    allowed: Permission | None = None


@dataclass
class Scene:
    name: str
    enter: EnterText
    commands: list[Command] = field(default_factory=list)
    # Lines that match no alias go here (a username prompt, `<target> <attack>`, ...).
    fallback: Handler | None = None
    input: str = "text"
    signed_in: bool = True
    # Global commands are off while a password is typed: the line is the password.
    globals: bool = True
    # Where others see a player in this scene (mudserver.places): "village", "dungeon", "arena", or
    # "" for the main menu and the account's own prompts.
    place: str = ""

    def find(self, word: str) -> Command | None:
        return _find(self.commands, word)

    def help_text(self, staff_commands: list[Command] | None = None) -> str:
        """The scene's commands and the global ones; `staff_commands`, the game master's commands
        the player may use, are listed after them."""
        lines = [yellow(_("Commands here:"))]
        lines += _help_lines([command for command in [*self.commands, HELP_COMMAND] if command.help])
        if self.globals:
            lines.append(yellow(_("Everywhere:")))
            lines += _help_lines([command for command in GLOBAL_COMMANDS if command.allowed is None])
            if staff_commands:
                lines.append(yellow(_("Game master (everywhere):")))
                lines += _help_lines(staff_commands)
        lines.append(help_topics_line())
        return "\n".join(lines)


def _help_lines(commands: list[Command]) -> list[str]:
    return [f"  {yellow(' / '.join(command.aliases))} : {command.help}" for command in commands]


def _find(commands: list[Command], word: str) -> Command | None:
    word = word.casefold()
    for command in commands:
        if word in command.aliases:
            return command
    return None


SCENES: Table[Scene] = Table("scene")
GLOBAL_COMMANDS: Listed[Command] = Listed("global command")


@dataclass
class HelpTopic:
    """A rule explained by `help <topic>`: `explain` gets the player and the rest of the line."""

    aliases: tuple[str, ...]  # compared casefolded and without spaces ("시련의 장" is "시련의장")
    explain: Handler
    label: str  # a lazy translation: the name shown in the list of topics (one of the aliases)


HELP_TOPICS: Listed[HelpTopic] = Listed("help topic")


def register_help_topic(topic: HelpTopic) -> None:
    HELP_TOPICS.add(topic)


def help_topic_find(word: str) -> HelpTopic | None:
    word = "".join(word.split()).casefold()
    return next((topic for topic in HELP_TOPICS if word in topic.aliases), None)


def help_topics_line() -> str:
    names = ", ".join(str(topic.label) for topic in HELP_TOPICS)
    return yellow(_("Rules explained: help <topic>, topics: %(topics)s") % {"topics": names})


async def _help(ctx: Context, args: str) -> Reply:
    if not args:
        return Reply(SCENES[ctx.scene].help_text(await staff_commands_of(ctx)))
    word, _sep, rest = args.partition(" ")
    topic, rest = help_topic_find(word), rest.strip()  # "help auto 3": the topic, then its own words
    if topic is None:  # a name with a space: "help 시련의 장"
        topic, rest = help_topic_find(args), ""
    if topic is None:
        return Reply(red(_("There is no help on '%(topic)s'.") % {"topic": escape(args)}) + "\n" + help_topics_line())
    return await topic.explain(ctx, rest)


async def staff_commands_of(ctx: Context) -> list[Command]:
    """The game master's commands this player may use (none, without a database query, for a player)."""
    if not ctx.staff:
        return []
    return [command for command in GLOBAL_COMMANDS if command.allowed is not None and await command.allowed(ctx)]


HELP_COMMAND = Command(("help", "도움말", "h"), _help)


HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


@functools.cache
def scene_commands(name: str, lang: str) -> tuple[str, ...]:
    """The command words a scene accepts (its own, help, and the global ones a player may use), in
    the player's language: each command's Korean aliases for "ko", its others for any other
    language, or all of them when it has none of that kind (a skill's slot number). The output
    frame's `commands` (PROTOCOL.md), for completion. Cached: scenes are fixed once the apps are ready."""
    scene = SCENES.get(name) or SCENES["front"]
    commands = [*scene.commands, HELP_COMMAND]
    if scene.globals:
        commands += [command for command in GLOBAL_COMMANDS if command.allowed is None]
    words: dict[str, None] = {}
    for command in commands:
        mine = [alias for alias in command.aliases if bool(HANGUL.search(alias)) == (lang == "ko")]
        words.update(dict.fromkeys(mine or command.aliases))
    return tuple(words)


def goto(scene: str) -> Handler:
    """A handler that only moves the player to `scene`."""

    async def move(ctx: Context, args: str) -> Reply:
        return Reply(goto=scene)

    return move


def register(scene: Scene) -> Scene:
    return SCENES.add(scene.name, scene)


def register_global(command: Command) -> None:
    GLOBAL_COMMANDS.add(command)


def help_hint() -> str:
    """To put after a refusal that may be a mistyped line: where to find what the scene takes."""
    return " " + _("Type [H]elp for help at any time.")


def unknown_reply(line: str) -> Reply:
    return Reply(
        red(_("Unknown command '%(line)s'. Type [H]elp to see what you can do here.") % {"line": escape(line)})
    )


async def enter_scene(ctx: Context, name: str, data: dict | None = None) -> str:
    """Move the player into a scene and return its entry text."""
    scene = SCENES[name]
    if scene.signed_in and not ctx.signed_in:
        name, scene, data = "front", SCENES["front"], None
    ctx.scene = name
    ctx.data = data or {}
    return await scene.enter(ctx)


async def route_line(ctx: Context, line: str) -> Output:
    scene = SCENES.get(ctx.scene) or SCENES["front"]
    if scene.signed_in and not ctx.signed_in:
        # The session ended under this scene (deleted elsewhere, expired): start over at the title.
        text = await enter_scene(ctx, "front")
        return _output(ctx, text, status=True)
    reply = await _dispatch(ctx, scene, line)
    text = reply.text
    if reply.goto is not None:
        entered = await enter_scene(ctx, reply.goto, reply.carry)
        text = f"{text}\n{entered}" if text else entered
    return _output(ctx, text, status=reply.status)


async def _dispatch(ctx: Context, scene: Scene, line: str) -> Reply:
    stripped = line.strip()
    if not stripped and scene.fallback is None:
        return Reply(await scene.enter(ctx))
    word, _sep, args = stripped.partition(" ")
    # A scene's own command comes first (the arena's `status` is its table, not the character's).
    command = scene.find(word) or _find([HELP_COMMAND], word)
    if command is None and scene.globals and word:
        command = _find(GLOBAL_COMMANDS, word)
        if command is not None and command.allowed is not None and not (ctx.staff and await command.allowed(ctx)):
            command = None
    if command is not None:
        return await command.handler(ctx, args.strip())
    if scene.fallback is not None:
        # A password is taken exactly as typed; anything else without its surrounding spaces.
        return await scene.fallback(ctx, line if scene.input == "password" else stripped)
    return unknown_reply(stripped)


def _output(ctx: Context, text: str, *, status: bool) -> Output:
    return Output(text=text, scene=ctx.scene, input=SCENES[ctx.scene].input, status=status)
