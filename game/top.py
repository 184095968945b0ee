"""`top`: the rankings' boards (issue 17), in every scene; the numbers come from accounts.rankings."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.boards import level_of_score, week_start_ms
from accounts.rankings import Entry, Page, board_page
from mudserver.markup import escape, red, yellow
from mudserver.numbers import typed_int
from mudserver.router import Context, Reply

BOARD_ALIASES = {
    "level": ("level", "lv", "레벨"),
    "kills": ("kills", "kill", "킬", "처치"),
    "arena": ("arena", "투기장", "아레나"),
    "week": ("week", "weekly", "주간", "이번주"),
}
BOARD_TITLES = {
    "level": gettext_lazy("Level (then exp)"),
    "kills": gettext_lazy("Monsters killed"),
    "arena": gettext_lazy("Arena rating"),
    "week": gettext_lazy("Exp gained this week"),
}
KST = ZoneInfo("Asia/Seoul")


def _board_of(word: str) -> str | None:
    word = word.casefold()
    return next((board for board, aliases in BOARD_ALIASES.items() if word in aliases), None)


def _value(board: str, score: int) -> str:
    if board == "level":
        level, exp = level_of_score(score)
        return _("Lv. %(level)d, exp %(exp)s") % {"level": level, "exp": f"{exp:,}"}
    if board == "kills":
        return _("%(kills)s kills") % {"kills": f"{score:,}"}
    if board == "arena":
        return _("rating %(rating)d") % {"rating": score}
    return _("%(exp)s exp") % {"exp": f"{score:,}"}


def _line(board: str, entry: Entry) -> str:
    return f"{entry.rank:>4}. {escape(entry.row[0]) if entry.row else '?'}  {_value(board, entry.score)}"


def _text(page: Page, signed_in: bool) -> str:
    title = str(BOARD_TITLES[page.board])
    if page.board == "week":
        monday = datetime.fromtimestamp(week_start_ms(page.week) / 1000, UTC).astimezone(KST)
        title += " " + _("(since Monday %(date)s, 00:00 KST)") % {"date": monday.strftime("%Y-%m-%d")}
    lines = [yellow(_("Rankings: %(title)s, page %(page)d of %(pages)d") % {"title": title, **vars(page)})]
    lines += [_line(page.board, entry) for entry in page.entries] or [_("(nobody yet)")]
    if page.own is not None:
        lines.append(
            yellow(
                _("You: #%(rank)s of %(total)s, %(value)s")
                % {
                    "rank": f"{page.own.rank:,}",
                    "total": f"{page.total:,}",
                    "value": _value(page.board, page.own.score),
                }
            )
        )
    elif signed_in:
        lines.append(yellow(_("You are not on this board yet.")))
    if page.page < page.pages:
        lines.append(_("'top %(board)s %(next)d' shows the next page.") % {"board": page.board, "next": page.page + 1})
    lines.append(_("Boards: top level, top kills, top arena, top week; then a page number."))
    return "\n".join(lines)


async def global_top(ctx: Context, args: str) -> Reply:
    words = args.split()
    board = "level"
    if words and typed_int(words[0]) is None:
        board = _board_of(words.pop(0))
        if board is None:
            return Reply(
                red(_("There is no board '%(board)s'.") % {"board": escape(args.split()[0])}) + "\n" + _usage()
            )
    page = typed_int(words[0]) if words else 1
    if not page or len(words) > 1:
        return Reply(red(_("'%(page)s' is not a page number.") % {"page": escape(" ".join(words))}) + "\n" + _usage())
    found = await board_page(board, page, ctx.character_id if ctx.signed_in else None)
    return Reply(_text(found, ctx.signed_in))


def _usage() -> str:
    return _("Usage: top [level|kills|arena|week] [page], e.g. 'top kills 2'.")
