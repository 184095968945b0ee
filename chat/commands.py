"""`ignore`, `unignore` and `report`: global commands (every scene, like `who`), chat.people's faces."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chat.people import Outcome, Result, ignore_add, ignore_remove, report_file
from mudserver.markup import escape, red, yellow
from mudserver.router import Command, Context, Reply, register_global
from mudserver.text import text_clean

REASON_MAX = 300  # chat.models.Report.reason


def _signed_in_first() -> Reply:
    return Reply(red(_("Sign in first: [IN] to sign in, [UP] to sign up.")))


def _refusal(result: Result, typed: str) -> Reply:
    name = escape(result.name or typed)
    texts = {
        Outcome.NO_SUCH_PLAYER: _("There is no character named '%(name)s'."),
        Outcome.SELF: _("You can't do that to yourself."),
        # The same words whatever the reason: who is staff is not for anyone to probe.
        Outcome.STAFF: _("You can't ignore %(name)s. Use 'report' if needed."),
        Outcome.FULL: _("You already ignore %(limit)d players: unignore one first."),
    }
    return Reply(red(texts[result.outcome] % {"name": name, "limit": settings.GAME["IGNORE_LIMIT"]}))


async def global_ignore(ctx: Context, args: str) -> Reply:
    if not ctx.signed_in:
        return _signed_in_first()
    typed = text_clean(args)
    if not typed:
        if not ctx.ignored:
            return Reply(_("You ignore nobody. 'ignore <name>' hides a player's chat and whispers from you."))
        names = sorted(ctx.ignored, key=str.casefold)
        return Reply(
            "\n".join(
                [
                    yellow(_("You ignore %(count)d player(s):") % {"count": len(names)}),
                    ", ".join(escape(name) for name in names),
                    _("'unignore <name>' shows their messages again."),
                ]
            )
        )
    result = await ignore_add(owner_id=ctx.character_id, name=typed)
    if result.outcome is Outcome.ALREADY:
        ctx.ignored.add(result.name)
        return Reply(_("You already ignore %(name)s.") % {"name": escape(result.name)})
    if result.outcome is not Outcome.DONE:
        return _refusal(result, typed)
    ctx.ignored.add(result.name)
    return Reply(yellow(_("You no longer see %(name)s's chat or whispers.") % {"name": escape(result.name)}))


async def global_unignore(ctx: Context, args: str) -> Reply:
    if not ctx.signed_in:
        return _signed_in_first()
    typed = text_clean(args)
    if not typed:
        return Reply(red(_("Usage: unignore <name>, e.g. 'unignore hero1'. 'ignore' lists whom you ignore.")))
    result = await ignore_remove(owner_id=ctx.character_id, name=typed)
    if result.outcome is Outcome.NO_SUCH_PLAYER:
        return _refusal(result, typed)
    ctx.ignored.discard(result.name)
    if result.outcome is Outcome.ALREADY:
        return Reply(_("You were not ignoring %(name)s.") % {"name": escape(result.name)})
    return Reply(yellow(_("You see %(name)s's chat and whispers again.") % {"name": escape(result.name)}))


async def global_report(ctx: Context, args: str) -> Reply:
    if not ctx.signed_in:
        return _signed_in_first()
    typed = text_clean(args)
    name, _space, reason = typed.partition(" ")
    if not name or not reason:
        return Reply(red(_("Usage: report <name> <reason>, e.g. 'report hero1 insults in chat'.")))
    if len(reason) > REASON_MAX:
        return Reply(red(_("A reason may hold at most %(limit)d characters.") % {"limit": REASON_MAX}))
    result = await report_file(reporter_id=ctx.character_id, name=name, reason=reason)
    if result.outcome is Outcome.THROTTLED:
        return Reply(
            red(
                _("You have sent %(limit)d reports in the last %(minutes)d minutes; try again in %(seconds)d seconds.")
                % {
                    "limit": settings.GAME["REPORT_LIMIT"],
                    "minutes": settings.GAME["REPORT_WINDOW"] // 60,
                    "seconds": result.wait,
                }
            )
        )
    if result.outcome is not Outcome.DONE:
        return _refusal(result, name)
    return Reply(
        yellow(
            _("Your report on %(name)s has been sent to the game masters with your recent chat and theirs. Thank you.")
            % {"name": escape(result.name)}
        )
    )


def people_commands_register() -> None:
    register_global(
        Command(
            ("ignore", "차단"),
            global_ignore,
            gettext_lazy("ignore <name>: hide a player's chat and whispers; ignore: the list"),
        )
    )
    register_global(
        Command(
            ("unignore", "차단해제"), global_unignore, gettext_lazy("unignore <name>: see a player's messages again")
        )
    )
    register_global(
        Command(("report", "신고"), global_report, gettext_lazy("report <name> <reason>: tell the game masters"))
    )
