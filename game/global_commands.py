"""Commands that work in every scene except while a password is typed: g, who, look, top, status, lang."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.character_state import character_state_get
from accounts.progression import exp_to_leave
from accounts.selectors import character_card_get, online_ranked_page
from accounts.validation import name_as_stored
from battles.catalog import catalog_aget, localized
from game.top import global_top
from mudserver.markup import escape, menu_line, pad, red, rule, yellow
from mudserver.numbers import typed_int
from mudserver.places import Place, place_get, places_get
from mudserver.router import Command, Context, Reply, register_global
from mudserver.text import text_clean

G_HOME = ("home", "홈", "처음")
G_OUT = ("out", "나가기", "로그아웃")


def _global_help() -> str:
    return "\n".join(
        [
            yellow(_("Global commands (work anywhere):")),
            menu_line("g home", _("back to the title / main menu"), 10),
            menu_line("g out", _("sign out"), 10),
            menu_line("g help", _("this help"), 10),
            menu_line("who [page]", _("who is online"), 10),
            menu_line("look <name>", _("another player's level, weapon, record and whereabouts"), 10),
            menu_line("top [board] [page]", _("the rankings: level, kills, arena, week"), 10),
            menu_line("ignore <name>", _("hide a player's chat and whispers ('ignore': the list)"), 10),
            menu_line("unignore <name>", _("see their messages again"), 10),
            menu_line("report <name> <reason>", _("report a player to the game masters"), 10),
            menu_line("password", _("change your password"), 10),
            menu_line("status", _("your character"), 10),
            menu_line("lang ko||en", _("language"), 10),
        ]
    )


async def global_g(ctx: Context, args: str) -> Reply:
    option = args.casefold()
    if option in G_HOME:
        return Reply(goto="front")
    if option in G_OUT:
        if not ctx.signed_in:
            return Reply(red(_("You are not signed in.")))
        await ctx.connection.sign_out()
        return Reply(yellow(_("You have signed out. See you soon.")), goto="front", status=True)
    return Reply(_global_help())


async def global_who(ctx: Context, args: str) -> Reply:
    """Who is online, by level then name, with where each is: two round trips a page."""
    size = settings.GAME["WHO_PAGE_SIZE"]
    page = typed_int(args) if args else 1
    if not page:
        return Reply(
            red(
                _("'%(page)s' is not a page number: type 'who' and a number from 1, e.g. 'who 2'.")
                % {"page": escape(args)}
            )
        )
    shown = await online_ranked_page(page=page, size=size)
    here = [player for player in shown.players if player.character_id]
    places = dict(zip(here, await places_get([player.character_id for player in here]), strict=True))
    lines = [
        yellow(
            _("%(count)d online (page %(page)d of %(pages)d)")
            % {"count": shown.total, "page": shown.page, "pages": shown.pages}
        )
    ]
    for rank, player in enumerate(shown.players, start=(shown.page - 1) * size + 1):
        where = await _place_text(places[player], ctx.lang) if player in places else _("offline")
        lines.append(f"{rank:>4}. {pad(escape(player.name), 16)}  Lv. {player.level:<3}  {where}")
    if not shown.players:
        lines.append(_("(nobody)"))
    if shown.page < shown.pages:
        lines.append(_("'who %(next)d' shows the next page.") % {"next": shown.page + 1})
    return Reply("\n".join(lines))


async def _place_text(place: Place, lang: str) -> str:
    if place.area == "village":
        return _("in the village")
    if place.area == "arena":
        return _("in the arena")
    if place.area == "dungeon" and place.dungeon is None:
        return _("at the dungeons' entrance")
    if place.area == "dungeon":
        dungeon = (await catalog_aget()).dungeons.get(place.dungeon)
        shown = localized(dungeon, lang) if dungeon else "?"
        return _("in dungeon %(number)d, %(dungeon)s") % {"number": place.dungeon, "dungeon": shown}
    return _("at the main menu")


async def global_look(ctx: Context, args: str) -> Reply:
    typed = text_clean(args)  # as every name typed is: no invisible or control characters echoed back
    if not typed:
        return Reply(red(_("Usage: look <character name>, e.g. 'look hero1'.")))
    card = await character_card_get(name_as_stored(typed))
    if card is None:
        return Reply(red(_("There is no character named '%(name)s'.") % {"name": escape(typed)}))
    where = await _place_text(await place_get(card.character_id), ctx.lang) if card.online else _("offline")
    n = card.numbers
    return Reply(
        "\n".join(
            [
                rule(),
                f"{yellow(escape(card.name))}  Lv. {n['level']}  " + _("Weapon +%(weapon_level)d") % n,
                _("Kills %(kills)d   Deaths %(deaths)d") % n,
                _("Arena: %(arena_wins)d wins, %(arena_losses)d losses, rating %(arena_rating)d") % n,
                _("Now: %(where)s") % {"where": where},
                rule(),
            ]
        )
    )


async def global_status(ctx: Context, args: str) -> Reply:
    if not ctx.signed_in:
        return Reply(red(_("Sign in first: [IN] to sign in, [UP] to sign up.")))
    s = await character_state_get(ctx.character_id)
    nxt = exp_to_leave(s["level"])
    return Reply(
        "\n".join(
            [
                rule(),
                f"{yellow(escape(ctx.name))}  Lv. {s['level']}",
                _("HP %(hp)d/%(max_hp)d   MP %(mp)d/%(max_mp)d") % s,
                _("EXP %(exp)d / %(next)s") % {"exp": s["exp"], "next": nxt if nxt is not None else "MAX"},
                _("Attack %(attack)d   Defense %(defense)d   Weapon +%(weapon_level)d") % s,
                _("Kills %(kills)d   Deaths %(deaths)d") % s,
                rule(),
            ]
        ),
        status=True,
    )


async def global_lang(ctx: Context, args: str) -> Reply:
    code = args.casefold()[:2]
    if code not in {c for c, _name in settings.LANGUAGES}:
        return Reply(red(_("Usage: lang ko (Korean) or lang en (English)")))
    await ctx.connection.set_language(code)
    with translation.override(code):
        return Reply(yellow(_("Language: English")))


def global_commands_register() -> None:
    """Register g, who, look, top, status and lang."""
    register_global(Command(("g", "ㅎ"), global_g, gettext_lazy("g home, g out, g help")))
    register_global(Command(("who", "접속자", "누구"), global_who, gettext_lazy("who is online")))
    register_global(
        Command(
            ("look", "보기", "살펴보기"),
            global_look,
            gettext_lazy("look <name>: another player's level, weapon, record and whereabouts"),
        )
    )
    register_global(
        Command(
            ("top", "랭킹", "순위"),
            global_top,
            gettext_lazy("top <level|kills|arena|week> <page>: the rankings, with your own place"),
        )
    )
    register_global(Command(("status", "상태"), global_status, gettext_lazy("your character")))
    register_global(Command(("lang", "언어"), global_lang, gettext_lazy("switch language: lang ko, lang en")))
