"""The village and its five NPCs (GAME.md §2): in each NPC scene 1 talks, 2 acts, 3 goes back."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import hooks as account_hooks
from accounts.character_state import character_state_get
from mudserver.korean import name_fill
from mudserver.markup import blue, cyan, escape, green, grey, menu_line, red, rule, yellow
from mudserver.numbers import typed_int
from mudserver.router import Command, Context, Reply, Scene, goto, register
from village.models import Npc
from village.rules import dice_roll
from village.services import (
    RNG,
    Enhanced,
    StakeRefused,
    character_heal,
    dice_play,
    npc_line_pick,
    weapon_enhance,
)

NPC_ORDER = [Npc.STORY, Npc.HEALER, Npc.BLACKSMITH, Npc.DICE, Npc.ARENA]


def _npc_titles() -> dict[str, str]:
    return {
        Npc.STORY: _("the Book of Adventure"),
        Npc.HEALER: _("the Healer's House"),
        Npc.BLACKSMITH: _("the Blacksmith"),
        Npc.DICE: _("the Dice Table"),
        Npc.ARENA: _("Keeper of the Trial Grounds"),
    }


async def village_enter(ctx: Context) -> str:
    titles = _npc_titles()
    lines = [rule(), cyan(_("The village. Who will you visit?"))]
    for number, npc in enumerate(NPC_ORDER, start=1):
        lines.append(menu_line(f"{number}.", f"{npc.label} - {titles[npc]}"))
    lines += [_("Type a number, [L]ist to see this again, s[K]ill for your skills, [B]ack to the main menu."), rule()]
    return "\n".join(lines)


async def village_list(ctx: Context, args: str) -> Reply:
    return Reply(await village_enter(ctx))


# --- the NPC scenes share one shape


def _npc_intro() -> dict[str, str]:
    return {
        Npc.STORY: _("Fradeiri, keeper of the Book of Adventure, looks up from her pages."),
        Npc.HEALER: _("Agnes the healer smiles; her hands glow with a soft light."),
        Npc.BLACKSMITH: _("Fergus the blacksmith wipes his brow beside a roaring forge. (Enhancing costs exp!)"),
        Npc.DICE: _("Etna rattles two dice in a cup. 'Five rounds, highest roll wins.'"),
        Npc.ARENA: _("Sir Shax, keeper of the Trial Grounds, grins behind his scarred helmet."),
    }


def _npc_action_names() -> dict[str, str]:
    return {
        Npc.STORY: _("read the Book of Adventure"),
        Npc.HEALER: _("be healed (free)"),
        Npc.BLACKSMITH: _("enhance your weapon (costs exp)"),
        # xgettext:no-python-format
        Npc.DICE: _("play dice (2 <exp> to stake up to 10% of your exp)"),
        Npc.ARENA: _("enter the Trial Grounds (3 vs 3 PvP)"),
    }


def _npc_enter(npc: Npc):
    async def enter(ctx: Context) -> str:
        return "\n".join(
            [
                rule(),
                f"{yellow(npc.label)} - {_npc_titles()[npc]}",
                _npc_intro()[npc],
                menu_line("1.", _("talk")),
                menu_line("2.", _npc_action_names()[npc]),
                menu_line("3.", _("back to the village")),
                rule(),
            ]
        )

    return enter


def _npc_talk(npc: Npc):
    async def talk(ctx: Context, args: str) -> Reply:
        line = await npc_line_pick(npc.value, ctx.lang) or "..."
        return Reply(f"{yellow(npc.label)}: {name_fill(line, escape(ctx.name))}")

    return talk


def register_npc(npc: Npc, action_aliases: tuple[str, ...], action) -> None:
    register(
        Scene(
            name=npc.value,
            enter=_npc_enter(npc),
            place="village",
            commands=[
                Command(("1", "talk", "t", "대화", "대화하기"), _npc_talk(npc), gettext_lazy("talk")),
                Command(("2", *action_aliases), action, gettext_lazy("the NPC's service")),
                Command(("3", "back", "b", "돌아가기"), goto("village"), gettext_lazy("back to the village")),
            ],
        )
    )


# --- 프라데이리: the adventure log

MILESTONES = (1, 10, 20, 30, 40, 50)


def _milestone_texts() -> dict[int, str]:
    return {
        1: _("With a sword and a head full of dreams, %(name)s sets foot on the continent of Ula."),
        10: _("A great beast lies at %(name)s's feet: the first of many."),
        20: _("Following whispers of dark rites, %(name)s heads for the city."),
        30: _("In the back alleys of Barton, thugs step aside when %(name)s walks by."),
        40: _("The kingdom calls on %(name)s: war with the demon king Polibear is coming."),
        50: _("%(name)s stands before the demon king Polibear, and prevails."),
    }


async def story_read(ctx: Context, args: str) -> Reply:
    s = await character_state_get(ctx.character_id)
    texts, name = _milestone_texts(), escape(ctx.name)
    lines = [yellow(_("The Book of Adventure of %(name)s") % {"name": name})]
    for level in MILESTONES:
        if s["level"] >= level:
            lines.append(f"  {cyan(f'Lv.{level}')} {texts[level] % {'name': name}}")
    lines.append(yellow(_("Records")))
    lines.append(_("  Monsters defeated: %(kills)d   Fallen: %(deaths)d") % s)
    lines.append(
        _(
            "  Trial Grounds: %(arena_wins)d wins, %(arena_losses)d losses, rating %(arena_rating)d "
            "(best %(arena_best_rating)d)"
        )
        % s
    )
    return Reply("\n".join(lines))


# --- 아그네스: the healer


async def healer_heal(ctx: Context, args: str) -> Reply:
    if not await character_heal(ctx.character_id):
        return Reply(_("Agnes: You look perfectly well to me. If something weighs on your heart, I'm happy to listen."))
    return Reply(
        green(_("Agnes lays her hands on your wounds and a warm light closes them. HP and MP are full."))
        + "\n"
        + _("Agnes: Look after yourself out there, %(name)s.") % {"name": escape(ctx.name)},
        status=True,
    )


# --- 퍼거스: weapon enhancement, paid with exp


async def blacksmith_enhance(ctx: Context, args: str) -> Reply:
    result = await weapon_enhance(ctx.character_id)
    if result.outcome is Enhanced.MAXED:
        return Reply(
            yellow(
                _("Fergus: Weapon level %(level)d! No hammer of mine can take it any further.")
                % {"level": result.weapon_level}
            )
        )
    if result.outcome is Enhanced.TOO_POOR:
        return Reply(
            red(
                _("Fergus: Bring me %(cost)d exp for the next enhancement. Off you go and earn it!")
                % {"cost": result.cost}
            )
        )
    if result.outcome is Enhanced.SUCCESS:
        return Reply(
            green(
                _("Enhancement succeeded! Weapon level %(level)d (-%(cost)d exp).")
                % {"level": result.weapon_level, "cost": result.cost}
            )
            + "\n"
            + _("Fergus: Hah! These old arms haven't lost their touch!"),
            status=True,
        )
    return Reply(
        red(_("Enhancement failed... (-%(cost)d exp; the weapon is unharmed.)") % {"cost": result.cost})
        + "\n"
        + _("Fergus: Blast, the hammer slipped. Another go?"),
        status=True,
    )


# --- 에트나: dice, optionally for a stake of exp


async def dice_game(ctx: Context, args: str) -> Reply:
    stake = typed_int(args) if args else 0
    if stake is None:
        return Reply(red(_("The stake must be a whole number of exp, e.g. '2 10'.")))
    try:
        game = await dice_play(ctx.character_id, rounds=dice_roll(RNG), stake=stake)
    except StakeRefused as refused:
        if refused.limit == 0:
            return Reply(red(_("Etna: You need at least 10 exp to place a stake.")))
        return Reply(red(_("Etna: You may stake at most %(limit)d exp (10%% of your exp).") % {"limit": refused.limit}))
    lines = []
    for number, (dealer, player) in enumerate(game.rounds, start=1):
        verdict = green(_("won!")) if player > dealer else red(_("lost..."))
        lines.append(
            _("Round %(n)d: Etna %(dealer)d vs you %(player)d - %(verdict)s")
            % {"n": number, "dealer": dealer, "player": player, "verdict": verdict}
        )
    lines.append(_("Score: %(score)+d") % {"score": game.score})
    won = game.score > 0
    if won:
        lines.append(green(_("Result: %(name)s takes the game!") % {"name": escape(ctx.name)}))
    else:
        lines.append(red(_("Result: Etna wins. Better luck next time~")))
    if game.stake:
        template = _("You win %(stake)d exp.") if won else _("You lose %(stake)d exp.")
        lines.append((blue if won else red)(template % {"stake": game.stake}))
    else:
        lines.append(grey(_("(No stake: just for fun. '2 <exp>' plays for exp.)")))
    return Reply("\n".join(lines), status=bool(game.stake))


# --- 샤크스 경: the arena keeper


def scenes_register() -> None:
    """Register the village and NPC scenes with the router, and the NPCs' names as names nobody may take."""
    account_hooks.reserved_names.add("npcs", lambda: Npc.labels)
    register(
        Scene(
            name="village",
            place="village",
            enter=village_enter,
            commands=[
                *[
                    Command(
                        (str(n),), goto(npc.value), gettext_lazy("visit an NPC by its number (1-5)") if n == 1 else ""
                    )
                    for n, npc in enumerate(NPC_ORDER, start=1)
                ],
                Command(("list", "l", "ls", "목록"), village_list, gettext_lazy("list the NPCs")),
                Command(
                    ("skill", "skills", "k", "스킬"),
                    goto("skills"),
                    gettext_lazy("choose the skills in your three slots"),
                ),
                Command(("back", "b", "돌아가기"), goto("front"), gettext_lazy("back to the main menu")),
            ],
        )
    )
    register_npc(Npc.STORY, ("read", "log", "r", "모험의서", "기록"), story_read)
    register_npc(Npc.HEALER, ("heal", "치료", "치료받기"), healer_heal)
    register_npc(Npc.BLACKSMITH, ("enhance", "e", "강화", "강화하기"), blacksmith_enhance)
    register_npc(Npc.DICE, ("dice", "roll", "주사위", "제비뽑기"), dice_game)
    register_npc(Npc.ARENA, ("pvp", "p", "시련의장", "시"), goto("arena_lobby"))
