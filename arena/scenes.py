"""The Trial Grounds (시련의 장): the lobby, a room waiting for six, and the match (GAME.md §6)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import hooks as account_hooks
from accounts.rankings import board_page
from accounts.validation import name_as_stored, name_reserved
from arena import presenters, rooms, services
from chat.services import mute_notice
from mudserver.markup import escape, pad, red, rule, yellow
from mudserver.router import (
    Arrival,
    Command,
    Context,
    Reply,
    Scene,
    goto,
    help_hint,
    on_arrival,
    on_departure,
    register,
    unknown_reply,
)
from mudserver.text import text_clean

MAX_NAME = 20


async def lobby_enter(ctx: Context) -> str:
    lines = [
        rule(),
        yellow(_("Sir Shax: Welcome to the Trial Grounds, where three fight three!")),
        yellow(_(" Players  Watching  State      Room")),
    ]
    listed = await rooms.room_list()
    for room in listed:
        state = _("fighting") if room["state"] != "waiting" else _("waiting")
        lines.append(f" [{room['players']}/6]   [{room['spectators']}/4]     {pad(state, 9)}  {escape(room['name'])}")
    if not listed:
        lines.append(_("No rooms yet."))
    lines += [_("[C]reate <name>, [J]oin <name>, [RE]fresh, [RANK], [R]eturn to the village."), rule()]
    return "\n".join(lines)


def _room_name(args: str) -> str | None:
    """The name cleaned as chat is (one line, nothing invisible), its length counted after that."""
    name = text_clean(args)
    return name if 1 <= len(name) <= MAX_NAME else None


def _enter_room(create: bool):
    async def enter(ctx: Context, args: str) -> Reply:
        name = _room_name(args)
        if name is None:
            return Reply(red(_("Give the room a name of 1 to %(max)d characters.") % {"max": MAX_NAME}))
        if create:
            # A room's name is shown to everyone in the lobby: a mute covers it, and it may not speak
            # for the staff, the game or its NPCs.
            muted = await mute_notice(ctx.character_id)
            if muted is not None:
                return Reply(red(muted))
            if name_reserved(name, commands=False):
                return Reply(
                    red(
                        _(
                            "'%(name)s' can't be a room name: names of staff, of the game and its NPCs, and "
                            "names that look like them are reserved."
                        )
                        % {"name": escape(name)}
                    )
                )
        joined = await services.room_enter(character_id=ctx.character_id, name=ctx.name, room_name=name, create=create)
        match joined.outcome:
            case "exists":
                return Reply(red(_("A room called '%(name)s' already exists.") % {"name": escape(name)}))
            case "missing":
                return Reply(red(_("There is no room called '%(name)s'.") % {"name": escape(name)}))
            case "full":
                return Reply(red(_("The room is full (6 players and 4 spectators).")))
            case "already":
                return Reply(red(_("You are already in a room.")))
            case "spectator":
                scene = "arena_room" if joined.state in ("waiting", "countdown") else "arena_match"
                return Reply(yellow(_("You watch '%(name)s' as a spectator.") % {"name": escape(name)}), goto=scene)
        return Reply(
            yellow(_("You enter '%(name)s' (%(count)d/6).") % {"name": escape(name), "count": joined.players}),
            goto="arena_room",
        )

    return enter


async def lobby_refresh(ctx: Context, args: str) -> Reply:
    return Reply(await lobby_enter(ctx))


async def lobby_rank(ctx: Context, args: str) -> Reply:
    """The ten best of the rankings' arena board (`top arena`), with the player's own place."""
    page = await board_page("arena", 1, ctx.character_id, fields=("name", "arena_wins", "arena_losses"))
    lines = [yellow(_("Trial Grounds ranking"))]
    for entry in page.entries:
        name, wins, losses = entry.row
        lines.append(
            _("%(place)2d. %(name)s  %(rating)d  (%(wins)d wins, %(losses)d losses)")
            % {"place": entry.rank, "name": escape(name), "rating": entry.score, "wins": wins, "losses": losses}
        )
    if page.own is not None:
        lines.append(
            yellow(_("You: #%(rank)s, rating %(rating)d") % {"rank": f"{page.own.rank:,}", "rating": page.own.score})
        )
    return Reply("\n".join(lines))


# --- a room waiting for its six


async def room_enter_text(ctx: Context) -> str:
    found = await rooms.room_of(ctx.character_id)
    if found is None:
        return yellow(_("You are not in a room."))
    room, players, spectators = await rooms.room_get(found[0])
    names = ", ".join(escape(p["name"]) for p in players)
    return "\n".join(
        [
            rule(),
            yellow(f"{escape(room.get('name', '?'))}  [{len(players)}/6]  [{len(spectators)}/4]"),
            _("Fighters: %(names)s") % {"names": names},
            _("The match starts when the sixth fighter joins. [S]tatus, [R]eturn to leave."),
            rule(),
        ]
    )


async def room_status(ctx: Context, args: str) -> Reply:
    return Reply(await room_enter_text(ctx))


async def room_return(ctx: Context, args: str) -> Reply:
    outcome = await services.room_exit(character_id=ctx.character_id, name=ctx.name)
    if outcome == "in_match":
        return Reply(red(_("The match has started: you cannot leave it now.")), goto="arena_match")
    return Reply(goto="arena_lobby")


# --- the match


async def match_enter(ctx: Context) -> str:
    found = await rooms.room_of(ctx.character_id)
    if found is None:
        return yellow(_("The match is over."))
    return "\n".join(
        [
            await services.room_status_text(found[0]),
            _("'<target> <attack>' attacks (attack: 'attack' or an equipped skill); [S]tatus."),
        ]
    )


async def match_status_command(ctx: Context, args: str) -> Reply:
    return Reply(await match_enter(ctx))


async def match_attack(ctx: Context, line: str) -> Reply:
    found = await rooms.room_of(ctx.character_id)
    if found is None:
        return Reply(yellow(_("The match is over.")), goto="village")
    parts = line.split(maxsplit=1)
    if not parts:  # an empty line shows the table again, as elsewhere
        return Reply(await match_enter(ctx))
    if len(parts) != 2:
        return Reply(unknown_reply(line).text + "\n" + _("Attack with '<target> <attack>', e.g. 'hero attack'."))
    target, attack = (name_as_stored(part) for part in parts)
    hit = await services.match_hit(
        rid=found[0], character_id=ctx.character_id, name=ctx.name, target=target, attack=attack
    )
    messages = {
        "spectator": lambda: _("You are watching: spectators cannot attack."),
        "dead": lambda: _("You have fallen: you cannot attack any more."),
        "cooldown": lambda: _("You cannot attack yet: %(seconds).1f seconds left.") % {"seconds": hit.wait_ms / 1000},
        "unknown_attack": lambda: (
            _("'%(attack)s' is not an attack of yours.") % {"attack": escape(attack)} + help_hint()
        ),
        "unknown_target": lambda: (
            _("There is no fighter called '%(target)s' here.") % {"target": escape(target)} + help_hint()
        ),
        "own_team": lambda: _("You cannot attack yourself or your own team."),
        "target_dead": lambda: _("%(target)s has already fallen.") % {"target": escape(target)},
        "not_fighting": lambda: _("No match is running."),
    }
    if hit.outcome in messages:
        return Reply(red(messages[hit.outcome]()))
    return Reply(presenters.hit_line(services.hit_event(ctx.name, target, hit)))


async def arena_arrival(ctx: Context) -> Arrival | None:
    """A fighter who comes back during a match is put back into it."""
    found = await rooms.room_of(ctx.character_id)
    if found is None or found[1] != "player":
        return None
    room, _players, _spectators = await rooms.room_get(found[0])
    return Arrival(scene="arena_match" if room.get("state") in ("fighting", "ended") else "arena_room")


async def arena_departure(ctx: Context) -> None:
    await services.room_exit(character_id=ctx.character_id, name=ctx.name)


async def _match_forfeit(character_id: int, name: str) -> None:
    await services.match_forfeit(character_id=character_id, name=name)


def scenes_register() -> None:
    """Register the lobby, room and match scenes and the arena's arrival and departure hooks."""
    register(
        Scene(
            name="arena_lobby",
            place="arena",
            enter=lobby_enter,
            commands=[
                Command(("create", "c", "생성", "생"), _enter_room(True), gettext_lazy("create a room: create <name>")),
                Command(("join", "j", "입장", "입"), _enter_room(False), gettext_lazy("join a room: join <name>")),
                Command(("refresh", "re", "새로고침", "새"), lobby_refresh, gettext_lazy("list the rooms again")),
                Command(("rank", "랭킹", "순위"), lobby_rank, gettext_lazy("the ten best ratings")),
                Command(("return", "r", "돌아가기", "돌"), goto("village"), gettext_lazy("back to the village")),
            ],
        )
    )
    register(
        Scene(
            name="arena_room",
            place="arena",
            enter=room_enter_text,
            commands=[
                Command(("status", "s", "현재인원", "현"), room_status, gettext_lazy("who is in the room")),
                Command(("return", "r", "돌아가기", "돌"), room_return, gettext_lazy("leave the room")),
            ],
        )
    )
    register(
        Scene(
            name="arena_match",
            place="arena",
            enter=match_enter,
            commands=[
                Command(("status", "s", "상태창", "상"), match_status_command, gettext_lazy("the match's status table"))
            ],
            fallback=match_attack,
        )
    )
    on_arrival(arena_arrival, order=30)
    account_hooks.deletion_hooks.add(_match_forfeit, order=20)
    on_departure(arena_departure, order=30)
