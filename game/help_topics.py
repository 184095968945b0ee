"""`help <topic>` (issue 17): each rule in words, then the player's own numbers from the rules'
functions. Signed out, the rule alone and a note that signing in shows one's own numbers."""

from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.character_state import character_state_get
from accounts.progression import MAX_LEVEL, MAX_WEAPON_LEVEL, exp_to_leave, exp_to_next_level
from arena.rules import ELO_K, match_reward
from battles.catalog import Catalog, catalog_aget, localized
from battles.content import SPAWN_WEIGHTS
from battles.engine import AUTO_EXCHANGE_MS, AUTO_SKILL_MS, KILL_HP_PERCENT, KILL_MP_PERCENT, REST_MS
from battles.estimate import SPAN_MS, AutoEstimate, auto_estimate
from battles.feed import monster_title
from battles.rules import dungeon_for_level
from battles.scenes import retreat_text
from battles.services import battle_aget, offline_cap_ms
from mudserver.markup import red, rule, yellow
from mudserver.numbers import typed_int
from mudserver.router import Context, HelpTopic, Reply, register_help_topic
from village.rules import (
    DICE_ROUNDS,
    FAILED_ENHANCE_COST,
    dice_expected_gain,
    dice_round_chance,
    dice_win_chance,
    enhance_chance,
    enhance_cost,
    stake_limit,
)

ENHANCE_LEVELS_SHOWN = 3  # the chance at the weapon's level and the next ones


def percent(chance: float) -> str:
    """A chance in percent as players read it: two decimals, or the magnitude when that shows 0.00."""
    return f"{chance:.2f}" if chance >= 0.005 else f"{chance:.1e}"


def _page(title: str, rules: list[str], own: list[str], ctx: Context) -> Reply:
    lines = [rule(), yellow(title), *rules]
    if ctx.signed_in:
        lines += [yellow(_("Yours:")), *own]
    else:
        lines.append(_("Sign in to see your own numbers here."))
    lines.append(rule())
    return Reply("\n".join(lines))


async def _state(ctx: Context) -> dict | None:
    return await character_state_get(ctx.character_id) if ctx.signed_in else None


async def help_enhance(ctx: Context, args: str) -> Reply:
    rules = [
        _("Fergus the blacksmith (village, 3) raises your weapon level w by one; you pay in exp."),
        _("An attempt costs 10 x w exp and succeeds with a chance of 25 x (w+10) / 1.1^(w+10) percent."),
        _(
            "Success: w goes up by one, and so does your attack. Failure: it costs %(cost)d exp and nothing else; "
            "the weapon is never lost. The weapon level goes up to %(max)d."
        )
        % {"cost": FAILED_ENHANCE_COST, "max": MAX_WEAPON_LEVEL},
    ]
    own = []
    if state := await _state(ctx):
        weapon = state["weapon_level"]
        for w in range(weapon, min(weapon + ENHANCE_LEVELS_SHOWN, MAX_WEAPON_LEVEL)):
            line = _("  Weapon +%(w)d: %(chance)s%% chance, %(cost)d exp an attempt") % {
                "w": w,
                "chance": percent(enhance_chance(w)),
                "cost": enhance_cost(w),
            }
            own.append(yellow(line) if w == weapon else line)
        if weapon >= MAX_WEAPON_LEVEL:
            own.append(_("  Your weapon is at the highest level, +%(w)d.") % {"w": weapon})
        own.append(_("  You have %(exp)d exp.") % {"exp": state["exp"]})
    return _page(_("Weapon enhancement"), rules, own, ctx)


async def help_dice(ctx: Context, args: str) -> Reply:
    win = dice_win_chance()
    rules = [
        _(
            "Etna (village, 4) throws %(rounds)d rounds of a die against yours. You win a round only when your "
            "die is strictly higher: %(round)s%% of throws (15 of the 36 pairs)."
        )
        % {"rounds": DICE_ROUNDS, "round": percent(float(dice_round_chance()) * 100)},
        _(
            "Each round won counts +1, each other one -1; a total above 0 (3 rounds or more) wins the game: "
            "%(win)s%% of games."
        )
        % {"win": percent(float(win) * 100)},
        _(
            "Type '2 <exp>' to stake up to a tenth of your exp: a win pays the stake, a loss takes it, so on average "
            "a stake loses %(loss)s%% of itself. Without a stake the game is for fun."
        )
        % {"loss": percent(float(-dice_expected_gain(100)))},
    ]
    own = []
    if state := await _state(ctx):
        limit = stake_limit(state["exp"])
        if not limit:
            own.append(_("  With %(exp)d exp you cannot stake yet: a tenth of it is less than 1.") % state)
        else:
            own.append(
                _(
                    "  With %(exp)d exp you may stake up to %(limit)d: a win pays %(limit)d, a loss takes "
                    "%(limit)d, on average %(average)d a game."
                )
                % {"exp": state["exp"], "limit": limit, "average": round(dice_expected_gain(limit))}
            )
    return _page(_("Dice"), rules, own, ctx)


async def help_skills(ctx: Context, args: str) -> Reply:
    catalog = await catalog_aget()
    state = await _state(ctx)
    rules = [
        _(
            "Up to three skills sit in slots 1-3: type 'skill' in the village to change them. A skill costs MP; "
            "a kill gives back %(mp)d%% of your max MP."
        )
        % {"mp": KILL_MP_PERCENT},
        _(
            "In a manual fight, 1, 2 or 3 uses a slot (once every 1.5 s). In an auto-battle, every %(every).1f s "
            "there is a 50%% chance to use one, the cheaper ones more often, among those your MP allows."
        )
        % {"every": AUTO_SKILL_MS / 1000},
        _("A damage skill hits for its percentage of your attack, x0.80 to x1.19 by luck."),
    ]
    own = []
    for skill in catalog.content.skills.values():
        if skill.effect == "armor":
            effect = _("halves the damage you take for %(seconds)d s") % {"seconds": skill.duration_ms // 1000}
        elif state:
            effect = _("%(multiple)d%% of attack: about %(damage)d damage for you") % {
                "multiple": skill.multiple,
                "damage": state["attack"] * skill.multiple // 100,
            }
        else:
            effect = _("%(multiple)d%% of attack") % {"multiple": skill.multiple}
        line = _("  #%(id)d %(name)s: %(cost)d MP, %(effect)s, from level %(level)d") % {
            "id": skill.id,
            "name": localized(skill, ctx.lang),
            "cost": skill.mp_cost,
            "effect": effect,
            "level": skill.unlock_level,
        }
        if state and skill.id in (state["skill_1"], state["skill_2"], state["skill_3"]):
            line = yellow(line + " " + _("(equipped)"))
        rules.append(line)
    if state:
        own.append(_("  Level %(level)d, attack %(attack)d, MP %(mp)d/%(max_mp)d.") % state)
    return _page(_("Skills"), rules, own, ctx)


async def help_arena(ctx: Context, args: str) -> Reply:
    rules = [
        _(
            "Sir Shax (village, 5) leads to the Trial Grounds: rooms of six players, three against three, "
            "teams balanced by level."
        ),
        _(
            "'<target> <attack>' strikes, once every 3 s; the attack is 'attack' or an equipped skill, and skills "
            "cost no MP there. Damage: your attack x the attack's percentage x 0.80 to 1.19, minus the target's "
            "defense."
        ),
        _(
            "The team left standing wins: each winner gains 50 x the losers' average level in exp. Ratings move "
            "by Elo (K = %(k)d): more for beating a stronger team."
        )
        % {"k": ELO_K},
    ]
    own = []
    if state := await _state(ctx):
        level = state["level"]
        own += [
            _(
                "  Attack %(attack)d, defense %(defense)d; %(arena_wins)d wins, %(arena_losses)d losses, rating "
                "%(arena_rating)d."
            )
            % state,
            _("  Beating a team of level %(level)d gives you %(exp)d exp.")
            % {"level": level, "exp": match_reward([level] * 3)},
        ]
    return _page(_("The Trial Grounds (arena)"), rules, own, ctx)


# Estimates by (catalog version, level, weapon, retreat, skills, dungeon); a few milliseconds of the
# engine each, so a process keeps the ones asked for (a bounded number).
_estimates: dict[tuple, AutoEstimate] = {}
ESTIMATES_KEPT = 4096
_auto_estimate = sync_to_async(auto_estimate, thread_sensitive=False)


async def auto_estimate_get(state: dict, dungeon: int, catalog: Catalog) -> AutoEstimate:
    skills = (state["skill_1"], state["skill_2"], state["skill_3"])
    key = (catalog.version, state["level"], state["weapon_level"], state["auto_retreat"], skills, dungeon)
    found = _estimates.get(key)
    if found is None:
        if len(_estimates) >= ESTIMATES_KEPT:
            _estimates.clear()
        found = _estimates[key] = await _auto_estimate(
            level=state["level"],
            weapon_level=state["weapon_level"],
            auto_retreat=state["auto_retreat"],
            skills=skills,
            dungeon=dungeon,
            content=catalog.content,
        )
    return found


async def _dungeon_meant(ctx: Context, args: str, state: dict, catalog: Catalog) -> int:
    """The dungeon typed after the topic, else the one the player is at or fighting in, else the one
    that fits the player's level."""
    for number in (typed_int(args), ctx.data.get("dungeon")):
        if number in catalog.dungeons:
            return number
    loaded = await battle_aget(ctx.character_id)
    if loaded is not None and int(loaded.battle["dungeon"]) in catalog.dungeons:
        return int(loaded.battle["dungeon"])
    return dungeon_for_level(state["level"], {d.number: d.level_min for d in catalog.dungeons.values()})


async def help_auto(ctx: Context, args: str) -> Reply:
    rules = [
        _(
            "An auto-battle fights one monster after another, whether you are here or not, until you stop it, "
            "you die, or %(hours)d hours pass without you signing in."
        )
        % {"hours": offline_cap_ms() // 3_600_000},
        _(
            "You and the monster trade blows every %(every).1f s; skills go off by themselves; each kill gives its "
            "exp and back %(hp)d%% of your max HP and %(mp)d%% of your max MP."
        )
        % {"every": AUTO_EXCHANGE_MS / 1000, "hp": KILL_HP_PERCENT, "mp": KILL_MP_PERCENT},
        _(
            "Low on HP, you retreat and rest (see 'help retreat'). 'help auto <dungeon number>' estimates another "
            "dungeon."
        ),
    ]
    own = []
    if state := await _state(ctx):
        catalog = await catalog_aget()
        number = await _dungeon_meant(ctx, args, state, catalog)
        estimate = await auto_estimate_get(state, number, catalog)
        own.append(
            _(
                "  In %(dungeon)s, at your level, weapon, skills and retreat setting: on average about "
                "%(exp)d exp per hour (%(kills)d kills and %(retreats)d retreats an hour)."
            )
            % {
                "dungeon": localized(catalog.dungeons[number], ctx.lang),
                "exp": estimate.exp_per_hour,
                "kills": estimate.kills_per_hour,
                "retreats": estimate.retreats_per_hour,
            }
        )
        own.append(
            _("  An average of simulated fights (%(runs)d runs of %(minutes)d minutes); your luck will vary.")
            % {"runs": estimate.runs, "minutes": SPAN_MS // 60_000}
        )
        if estimate.deaths:
            own.append(
                red(
                    _("  Careful: you died in %(deaths)d of those %(runs)d runs.")
                    % {"deaths": estimate.deaths, "runs": estimate.runs}
                )
            )
        need = exp_to_next_level(state["level"], state["exp"])
        if need and estimate.exp_per_hour:
            own.append(
                _("  At that pace the next level comes in about %(minutes)d min.")
                % {"minutes": -(-need * 60 // estimate.exp_per_hour)}
            )
    return _page(_("Auto-battle"), rules, own, ctx)


async def help_levels(ctx: Context, args: str) -> Reply:
    rules = [
        _(
            "Exp adds up and is never lost to a level: leaving level 1 takes 50 exp; each next level takes what "
            "the one before took, plus 20 x (level / 5 + 1)^2 (the division rounded down). The top level is "
            "%(max)d."
        )
        % {"max": MAX_LEVEL},
        _(
            "A new level L brings max HP and MP of 100 x L, both refilled, defense 10 + L and attack "
            "10 + L + weapon level."
        ),
    ]
    own = []
    if state := await _state(ctx):
        level, exp = state["level"], state["exp"]
        need = exp_to_next_level(level, exp)
        if need is None:
            own.append(_("  Level %(level)d, the highest.") % {"level": level})
        else:
            own.append(
                _("  Level %(level)d, %(exp)d exp: %(need)d more to reach level %(next)d (at %(total)d exp).")
                % {"level": level, "exp": exp, "need": need, "next": level + 1, "total": exp_to_leave(level)}
            )
    return _page(_("Levels and exp"), rules, own, ctx)


async def help_dungeons(ctx: Context, args: str) -> Reply:
    catalog = await catalog_aget()
    state = await _state(ctx)
    fits = state and dungeon_for_level(state["level"], {d.number: d.level_min for d in catalog.dungeons.values()})
    normal, elite, boss = (100 * weight // sum(SPAWN_WEIGHTS) for weight in SPAWN_WEIGHTS)
    rules = [
        _("A monster is normal (%(normal)d%%), elite (%(elite)d%%) or a boss (%(boss)d%%). Their HP / attack / exp:")
        % {"normal": normal, "elite": elite, "boss": boss}
    ]
    for dungeon in catalog.dungeons.values():
        line = f"  {dungeon.number} {localized(dungeon, ctx.lang)} (Lv.{dungeon.level_min}~{dungeon.level_max})"
        rules.append(yellow(line) if dungeon.number == fits else line)
        rules.append(
            "     "
            + ", ".join(
                f"{monster_title(catalog.content, m.id, ctx.lang)} {m.hp}/{m.attack}/{m.exp}"
                for m in catalog.content.spawn_tables.get(dungeon.number, ())
            )
        )
    own = []
    if state:
        own.append(
            _("  The dungeon for level %(level)d: %(dungeon)s ('help auto %(number)d' estimates its exp per hour).")
            % {"level": state["level"], "dungeon": localized(catalog.dungeons[fits], ctx.lang), "number": fits}
        )
    return _page(_("Dungeons"), rules, own, ctx)


async def help_retreat(ctx: Context, args: str) -> Reply:
    rules = [
        _(
            "In an auto-battle, when a monster's blow leaves your HP below your retreat threshold (a percentage "
            "of max HP), you flee that monster: no death, no exp from it."
        ),
        _(
            "You then rest %(seconds)d s of battle time, back to full HP and MP, and the next monster comes. "
            "'auto retreat <0-90>' in the dungeons sets the threshold; 0 fights to the death."
        )
        % {"seconds": REST_MS // 1000},
    ]
    own = []
    if state := await _state(ctx):
        own.append("  " + retreat_text(state["auto_retreat"]))
        if state["auto_retreat"]:
            own.append(
                _("  That is below %(hp)d of your %(max_hp)d HP.")
                % {"hp": -(-state["auto_retreat"] * state["max_hp"] // 100), "max_hp": state["max_hp"]}
            )
    return _page(_("Retreat"), rules, own, ctx)


# Each topic's label, the name listed in the player's language, is one of its aliases.


def help_topics_register() -> None:
    """Register the topics of `help <topic>`."""
    for aliases, explain, label in [
        (
            ("enhance", "강화", "blacksmith", "대장장이", "weapon", "무기"),
            help_enhance,
            pgettext_lazy("help topic", "enhance"),
        ),
        (("dice", "주사위", "gamble", "도박"), help_dice, pgettext_lazy("help topic", "dice")),
        (("skills", "skill", "스킬", "기술"), help_skills, pgettext_lazy("help topic", "skills")),
        (("arena", "시련의장", "pvp"), help_arena, pgettext_lazy("help topic", "arena")),
        (("auto", "자동", "자동사냥", "idle", "방치"), help_auto, pgettext_lazy("help topic", "auto")),
        (("levels", "level", "레벨", "exp", "경험치"), help_levels, pgettext_lazy("help topic", "levels")),
        (("dungeons", "dungeon", "던전"), help_dungeons, pgettext_lazy("help topic", "dungeons")),
        (("retreat", "후퇴"), help_retreat, pgettext_lazy("help topic", "retreat")),
    ]:
        register_help_topic(HelpTopic(aliases, explain, label))
