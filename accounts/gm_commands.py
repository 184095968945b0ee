"""Game masters' commands at the game's terminal, in every scene: `notice`, `kick` and `mute`. They call
the admin's services (accounts.gm), so each use is checked by the same permission and written to the
same audit trail. For a player without the permission they do not exist: the line gets the answer any
unknown line gets, so the game does not tell players which commands staff have."""

from datetime import timedelta

from channels.db import database_sync_to_async
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import gm
from accounts.models import Character, User
from accounts.validation import name_as_stored
from mudserver.markup import escape, red, yellow
from mudserver.numbers import typed_int
from mudserver.presence import online_character_id
from mudserver.router import Command, Context, Reply, register_global
from mudserver.text import text_clean

SEND_NOTICE = "accounts.send_notice"
KICK_PLAYER = "accounts.kick_player"
MUTE_PLAYER = "accounts.mute_player"


@database_sync_to_async
def _staff_member(user_id: int | None, permission: str) -> User | None:
    """The signed-in account, if it is an active staff account (as the admin requires) with `permission`."""
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    return user if user is not None and user.has_perm(permission) else None


def _may(permission: str):
    async def allowed(ctx: Context) -> bool:
        return await _staff_member(ctx.user_id, permission) is not None

    return allowed


def _not_allowed() -> Reply:
    # Only when the permission went between the command's lookup and its run.
    return Reply(red(_("You may no longer use this command.")))


def _no_character(name: str) -> Reply:
    return Reply(red(_("There is no character named '%(name)s'.") % {"name": escape(name)}))


async def command_notice(ctx: Context, args: str) -> Reply:
    text = text_clean(args)
    if not text:
        return Reply(red(_("Type the announcement after the command: notice <text>.")))
    if len(text) > gm.NOTICE_MAX_LENGTH:
        return Reply(red(_("A notice may hold at most %(limit)d characters.") % {"limit": gm.NOTICE_MAX_LENGTH}))
    actor = await _staff_member(ctx.user_id, SEND_NOTICE)
    if actor is None:
        return _not_allowed()
    entry = await database_sync_to_async(gm.gm_notice)(actor=actor, text=text)
    return Reply(yellow(_("Notice sent to %(count)d player(s) online.") % {"count": entry.after["players"]}))


async def command_kick(ctx: Context, args: str) -> Reply:
    name = name_as_stored(text_clean(args))
    if not name:
        return Reply(red(_("Usage: kick <character name>")))
    character_id = await online_character_id(name)
    if character_id is None:
        if not await Character.objects.filter(name=name).aexists():
            return _no_character(name)
        return Reply(red(_("%(name)s is not online.") % {"name": escape(name)}))
    actor = await _staff_member(ctx.user_id, KICK_PLAYER)
    if actor is None:
        return _not_allowed()
    character = await Character.objects.select_related("user").aget(pk=character_id)
    await database_sync_to_async(gm.gm_kick)(actor=actor, character=character)
    return Reply(yellow(_("%(name)s has been disconnected.") % {"name": escape(name)}))


async def command_mute(ctx: Context, args: str) -> Reply:
    usage = _("Usage: mute <name> <minutes> (1 to %(max)s; 0 lifts the mute)")
    usage %= {"max": f"{gm.MUTE_MINUTES_MAX:,}"}
    typed_name, _sep, typed_minutes = text_clean(args).partition(" ")
    minutes = typed_int(typed_minutes)
    if not typed_name or minutes is None or minutes > gm.MUTE_MINUTES_MAX:
        return Reply(red(usage))
    name = name_as_stored(typed_name)
    character = await Character.objects.select_related("user").filter(name=name).afirst()
    if character is None:
        return _no_character(name)
    actor = await _staff_member(ctx.user_id, MUTE_PLAYER)
    if actor is None:
        return _not_allowed()
    until = timezone.now() + timedelta(minutes=minutes) if minutes else None
    await database_sync_to_async(gm.gm_mute)(actor=actor, character=character, until=until)
    if until is None:
        return Reply(yellow(_("%(name)s's chat mute is lifted.") % {"name": escape(name)}))
    shown = f"{timezone.localtime(until):%Y-%m-%d %H:%M}"
    return Reply(yellow(_("%(name)s is muted until %(until)s.") % {"name": escape(name), "until": shown}))


def gm_commands_register() -> None:
    """Register the game masters' commands with the router."""
    register_global(
        Command(
            ("notice", "공지"),
            command_notice,
            gettext_lazy("announce to every player: notice <text>"),
            allowed=_may(SEND_NOTICE),
        )
    )
    register_global(
        Command(
            ("kick", "강퇴"), command_kick, gettext_lazy("disconnect a player: kick <name>"), allowed=_may(KICK_PLAYER)
        )
    )
    register_global(
        Command(
            ("mute", "채금"),
            command_mute,
            gettext_lazy("mute a player's chat: mute <name> <minutes>"),
            allowed=_may(MUTE_PLAYER),
        )
    )
