"""The dungeons, the manual fight and the idle auto-battle (GAME.md §2, §4, §5), and skill slots."""

from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import hooks as account_hooks
from accounts.character_state import character_state_get, character_state_mutate
from accounts.progression import AUTO_RETREAT_MAX
from battles import services
from battles.catalog import catalog_aget, localized
from battles.feed import encounter_hint, events_text, healer_hint, monster_title, summary_text
from battles.services import Refusal
from mudserver import hooks
from mudserver.markup import cyan, escape, grey, menu_line, red, rule, yellow
from mudserver.numbers import typed_int
from mudserver.router import (
    SCENES,
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
)

# Battle services block: a return catches up to hours of fights in the engine, which must not hold the
# event loop. They run in a worker thread (the Celery worker calls them directly).
battle_start = sync_to_async(services.battle_start, thread_sensitive=False)
battle_attack = sync_to_async(services.battle_attack, thread_sensitive=False)
battle_skill = sync_to_async(services.battle_skill, thread_sensitive=False)
battle_stop = sync_to_async(services.battle_stop, thread_sensitive=False)
battle_return = sync_to_async(services.battle_return, thread_sensitive=False)
battle_offline = sync_to_async(services.battle_offline, thread_sensitive=False)
battle_delete = sync_to_async(services.battle_delete, thread_sensitive=False)

FAR_BELOW = 5  # levels under a dungeon's band before the gate warns


FIGHT_SCENES = ("auto_battle", "manual_battle", "encounter")


def scene_of_battle(loaded) -> str:
    return scene_of_fight(loaded.battle["mode"], loaded.battle["phase"])


def scene_of_fight(mode: str, phase: str) -> str:
    if mode == "auto":
        return "auto_battle"
    return "manual_battle" if phase == "fighting" else "encounter"


async def _battle_over(ctx: Context) -> Reply:
    """The fight ended elsewhere (a death seen by a worker, a stop from another tab)."""
    state = await character_state_get(ctx.character_id)
    if state["hp"] <= 0:
        return Reply(healer_hint(), goto="heal", status=True)
    return Reply(yellow(_("The fight is over.")), goto="dungeon", status=True)


# --- the auto-battle's retreat threshold (GAME.md §5): set in the dungeons, at a gate or mid-fight

AUTO_ALIASES = ("auto", "a", "자동")
RETREAT_WORDS = ("retreat", "r", "후퇴")
RETREAT_HELP = gettext_lazy("'auto retreat <0-90>': retreat below this percentage of max HP (0: never)")


def retreat_text(percent: int) -> str:
    if percent == 0:
        return _("The auto-battle fights to the death; 'auto retreat <0-90>' changes that.")
    return _("The auto-battle retreats below %(percent)d%% of max HP; 'auto retreat <0-90>' changes that.") % {
        "percent": percent
    }


async def auto_settings(ctx: Context, args: str) -> Reply:
    """`auto retreat <0-90>` sets the threshold; `auto retreat` shows it."""
    word, _sep, value = args.partition(" ")
    value = value.strip()
    if word.casefold() not in RETREAT_WORDS or not value:
        return Reply(retreat_text((await character_state_get(ctx.character_id))["auto_retreat"]))
    threshold = typed_int(value)
    if threshold is None or threshold > AUTO_RETREAT_MAX:
        return Reply(
            red(
                _(
                    "'%(value)s' is not a retreat threshold: type 'auto retreat' and a whole number from 0 to "
                    "%(max)d (percent of max HP)."
                )
                % {"value": escape(value), "max": AUTO_RETREAT_MAX}
            )
        )
    await character_state_mutate(ctx.character_id, lambda _state: ({"auto_retreat": threshold}, None))
    return Reply(yellow(retreat_text(threshold)))


# --- the dungeon list


async def dungeon_enter(ctx: Context) -> str:
    catalog = await catalog_aget()
    lines = [rule(), cyan(_("%(name)s steps toward the dungeons.") % {"name": escape(ctx.name)})]
    for dungeon in catalog.dungeons.values():
        names = " / ".join(localized(m, ctx.lang) for m in catalog.content.spawn_tables.get(dungeon.number, ()))
        lines.append(
            f"  {yellow(str(dungeon.number))}. {localized(dungeon, ctx.lang)} "
            f"(Lv.{dungeon.level_min}~{dungeon.level_max}) - {names}"
        )
    lines += [_("[E]nter <number> to go in, [L]ist, [B]ack to the main menu."), rule()]
    return "\n".join(lines)


async def dungeon_list(ctx: Context, args: str) -> Reply:
    return Reply(await dungeon_enter(ctx))


async def dungeon_go(ctx: Context, args: str) -> Reply:
    catalog = await catalog_aget()
    number = typed_int(args)
    if number not in catalog.dungeons:
        numbers = ", ".join(str(n) for n in catalog.dungeons)
        return Reply(red(_("Which dungeon? Type 'enter' and a number (%(numbers)s).") % {"numbers": numbers}))
    return Reply(goto="dungeon_gate", carry={"dungeon": number})


# --- the gate of one dungeon


async def gate_enter(ctx: Context) -> str:
    catalog = await catalog_aget()
    dungeon = catalog.dungeons[ctx.data["dungeon"]]
    state = await character_state_get(ctx.character_id)
    names = ", ".join(localized(m, ctx.lang) for m in catalog.content.spawn_tables.get(dungeon.number, ()))
    lines = [
        rule(),
        yellow(f"{localized(dungeon, ctx.lang)} (Lv.{dungeon.level_min}~{dungeon.level_max})"),
        localized(dungeon, ctx.lang, "description"),
        _("Monsters such as %(names)s roam here.") % {"names": names},
    ]
    if state["level"] + FAR_BELOW < dungeon.level_min:
        lines.append(
            red(
                _("Warning: this dungeon is far above your level (%(level)d). Enter at your own risk!")
                % {"level": state["level"]}
            )
        )
    lines += [
        menu_line("[N]ormal", _("fight by hand"), 8),
        menu_line("[A]uto", _("auto-battle (keeps going while you are away)"), 8),
        menu_line("[B]ack", _("back to the dungeon list"), 8),
        retreat_text(state["auto_retreat"]),
        rule(),
    ]
    return "\n".join(lines)


def _gate_start(mode: str):
    async def start(ctx: Context, args: str) -> Reply:
        if mode == "auto" and args:
            return await auto_settings(ctx, args)
        outcome = await battle_start(ctx.character_id, dungeon=ctx.data["dungeon"], mode=mode)
        if outcome.error is Refusal.DEAD:
            return Reply(
                red(_("You are too wounded to fight. Visit Agnes the healer first.")) + "\n" + healer_hint(),
                goto="heal",
            )
        if outcome.error is Refusal.ALREADY:
            loaded = await services.battle_aget(ctx.character_id)
            return Reply(yellow(_("You are already fighting.")), goto=scene_of_battle(loaded) if loaded else "dungeon")
        return Reply(goto="auto_battle" if mode == "auto" else "encounter")

    return start


# --- manual battle: encounter, then the fight


async def _monster_in_sight(ctx: Context) -> str:
    loaded = await services.battle_aget(ctx.character_id)
    if loaded is None:
        return ""
    catalog = await catalog_aget()
    return monster_title(catalog.content, int(loaded.battle["monster"]), ctx.lang)


async def encounter_enter(ctx: Context) -> str:
    monster = await _monster_in_sight(ctx)
    if not monster:
        return yellow(_("The fight is over."))
    return "\n".join([rule(), _("Out of the mist steps the %(monster)s...") % {"monster": monster}, encounter_hint()])


async def encounter_attack(ctx: Context, args: str) -> Reply:
    outcome = await battle_attack(ctx.character_id)
    if outcome.error is Refusal.BUSY:
        return Reply(goto="manual_battle")
    if not outcome.ok:
        return await _battle_over(ctx)
    return Reply(goto="manual_battle")


async def battle_leave(ctx: Context, text: str) -> Reply:
    outcome = await battle_stop(ctx.character_id)
    if outcome.ok and outcome.fight.phase == "dead":
        catalog = await catalog_aget()
        return Reply(
            events_text(outcome.events, catalog.content, ctx.lang) + "\n" + healer_hint(), goto="heal", status=True
        )
    return Reply(text, goto="dungeon", status=True)


async def run_away(ctx: Context, args: str) -> Reply:
    return await battle_leave(ctx, yellow(_("You ran away. ???: Living to fight another day is a skill too.")))


async def stop_fight(ctx: Context, args: str) -> Reply:
    return await battle_leave(ctx, yellow(_("You stop fighting and return to the dungeon entrance.")))


async def _slots_text(ctx: Context) -> str:
    catalog = await catalog_aget()
    state = await character_state_get(ctx.character_id)
    parts = []
    for slot in (1, 2, 3):
        skill = catalog.content.skills.get(state[f"skill_{slot}"])
        # "1:", not "[1]": in the skills scene a lone slot number is not a command.
        parts.append(
            f"{yellow(f'{slot}:')} " + (f"{localized(skill, ctx.lang)} ({skill.mp_cost} MP)" if skill else "-")
        )
    return "  ".join(parts)


async def manual_enter(ctx: Context) -> str:
    monster = await _monster_in_sight(ctx)
    if not monster:
        return yellow(_("The fight is over."))
    return "\n".join(
        [
            rule(),
            _("You fight the %(monster)s! Blows are exchanged every 1.5 seconds.") % {"monster": monster},
            await _slots_text(ctx),
            _("[1]-[3] use a skill, [S]top to end the fight, [R]un to flee."),
        ]
    )


def _use_skill(slot: int):
    async def use(ctx: Context, args: str) -> Reply:
        outcome = await battle_skill(ctx.character_id, slot=slot)
        catalog = await catalog_aget()
        match outcome.error:
            case Refusal.COOLDOWN:
                return Reply(
                    red(_("The skill is not ready yet: %(seconds).1f s left.") % {"seconds": outcome.wait_ms / 1000})
                )
            case Refusal.EMPTY:
                return Reply(
                    red(_("Slot %(slot)d is empty. Equip skills with 'skill' in the village.") % {"slot": slot})
                )
            case Refusal.NO_MP:
                return Reply(events_text(outcome.events, catalog.content, ctx.lang))
            case Refusal.NOT_FIGHTING:
                return Reply(yellow(_("There is nothing to strike yet.")) + "\n" + encounter_hint(), goto="encounter")
            case Refusal.NONE:
                return await _battle_over(ctx)
        text = events_text(outcome.events, catalog.content, ctx.lang)
        if outcome.fight.phase == "dead":
            return Reply(text + "\n" + healer_hint(), goto="heal", status=True)
        if outcome.fight.phase == "encounter":
            return Reply(text + "\n" + encounter_hint(), goto="encounter", status=True)
        return Reply(text, status=True)

    return use


async def fight_help(ctx: Context, line: str) -> Reply:
    """Unknown input during a fight: say so, show the commands, and stay in the fight."""
    reply = _("'%(line)s' is not a fight command (type 'help' for this list).") % {"line": escape(line)}
    return Reply(red(reply) + "\n" + SCENES[ctx.scene].help_text())


# --- the idle auto-battle


async def auto_enter(ctx: Context) -> str:
    loaded = await services.battle_aget(ctx.character_id)
    if loaded is None:
        return yellow(_("The fight is over."))
    catalog = await catalog_aget()
    dungeon = catalog.dungeons[int(loaded.battle["dungeon"])]
    monster = monster_title(catalog.content, int(loaded.battle["monster"]), ctx.lang)
    return "\n".join(
        [
            rule(),
            cyan(
                _("Auto-battle in %(dungeon)s. It goes on even while you are away.")
                % {"dungeon": localized(dungeon, ctx.lang)}
            ),
            _("Now fighting: %(monster)s") % {"monster": monster},
            retreat_text(loaded.character["auto_retreat"]),
            _("[S]top to end it. It keeps running if you leave: type 'g home', then 'village'."),
        ]
    )


# --- arrival and departure: the chain goes on while the player is away


async def battle_arrival(ctx: Context) -> Arrival | None:
    if await services.battle_aget(ctx.character_id) is None:
        return None  # most players have no fight going on: a read, without the thread that catching up takes
    outcome = await battle_return(ctx.character_id)
    if not outcome.ok:
        return None
    summary = outcome.summary
    text = summary_text(summary, (await catalog_aget()).content, ctx.lang) if summary and summary.away else ""
    if outcome.fight.phase == "dead":
        return Arrival("\n".join(t for t in (text, healer_hint()) if t), "heal")
    # The fight as the catch-up left it. Back in a fight scene: the one the fight is in now (an
    # encounter may have become the fight).
    scene = scene_of_fight(outcome.fight.mode, outcome.fight.phase)
    if ctx.scene in FIGHT_SCENES:
        return Arrival(text, scene)
    return Arrival(text, landing=scene)


async def battle_departure(ctx: Context) -> None:
    await battle_offline(ctx.character_id)


# --- skill slots (the village's `skill` command)


async def skills_enter(ctx: Context) -> str:
    catalog = await catalog_aget()
    state = await character_state_get(ctx.character_id)
    lines = [rule(), yellow(_("Skills")), _("Equipped: %(slots)s") % {"slots": await _slots_text(ctx)}]
    for skill in catalog.content.skills.values():
        known = state["level"] >= skill.unlock_level
        line = _("  #%(id)d %(name)s - %(cost)d MP, unlocked at level %(level)d") % {
            "id": skill.id,
            "name": localized(skill, ctx.lang),
            "cost": skill.mp_cost,
            "level": skill.unlock_level,
        }
        lines.append(line if known else grey(line))
    lines += [_("'<slot> <skill #>' equips (e.g. '2 3'), '<slot> 0' empties a slot, [B]ack to the village."), rule()]
    return "\n".join(lines)


async def skills_equip(ctx: Context, line: str) -> Reply:
    numbers = [typed_int(part) for part in line.split()]
    if len(numbers) != 2 or None in numbers or numbers[0] not in (1, 2, 3):
        refusal = _("Type a slot (1-3) and a skill number, e.g. '2 3'. You typed '%(line)s'.") % {"line": escape(line)}
        return Reply(red(refusal + help_hint()))
    slot, skill_id = numbers
    catalog = await catalog_aget()
    skill = catalog.content.skills.get(skill_id)
    if skill_id and skill is None:
        return Reply(red(_("There is no skill #%(id)d.") % {"id": skill_id}))

    def equip(state):
        if skill is not None and state["level"] < skill.unlock_level:
            return {}, False
        slots = {f"skill_{n}": state[f"skill_{n}"] for n in (1, 2, 3)}
        for name, value in slots.items():  # a skill sits in one slot only
            if skill_id and value == skill_id:
                slots[name] = 0
        slots[f"skill_{slot}"] = skill_id
        return slots, True

    if not await character_state_mutate(ctx.character_id, equip):
        return Reply(
            red(
                _("%(name)s unlocks at level %(level)d.")
                % {"name": localized(skill, ctx.lang), "level": skill.unlock_level}
            )
        )
    return Reply(yellow(_("Equipped: %(slots)s") % {"slots": await _slots_text(ctx)}))


async def _fight_scene(character_id: int) -> str | None:
    loaded = await services.battle_aget(character_id)
    return scene_of_battle(loaded) if loaded else None


async def _battle_end(character_id: int, name: str) -> None:
    await battle_delete(character_id)


def scenes_register() -> None:
    """Register the dungeon and battle scenes, the battle's arrival and departure hooks, the key a
    player's battle is kept in and, as where in the dungeons a player is, the dungeon fought in."""
    hooks.player_keys.add("battle", services.battle_key)
    account_hooks.fight_scene.provide(_fight_scene)
    account_hooks.deletion_hooks.add(_battle_end, order=10)
    hooks.place_details.add("dungeon", hooks.PlaceDetail(services.battle_key, "dungeon"))
    register(
        Scene(
            name="dungeon",
            place="dungeon",
            enter=dungeon_enter,
            commands=[
                Command(("enter", "e", "입장"), dungeon_go, gettext_lazy("enter a dungeon: enter <number>")),
                Command(("list", "l", "목록", "load"), dungeon_list, gettext_lazy("list the dungeons")),
                Command(AUTO_ALIASES, auto_settings, RETREAT_HELP),
                Command(("back", "b", "돌아가기"), goto("front"), gettext_lazy("back to the main menu")),
            ],
        )
    )
    register(
        Scene(
            name="dungeon_gate",
            place="dungeon",
            enter=gate_enter,
            commands=[
                Command(("normal", "n", "수동", "1"), _gate_start("manual"), gettext_lazy("fight by hand")),
                Command(
                    (*AUTO_ALIASES, "2"),
                    _gate_start("auto"),
                    gettext_lazy("start the auto-battle ('auto retreat <0-90>' sets when it retreats)"),
                ),
                Command(("back", "b", "돌아가기", "3"), goto("dungeon"), gettext_lazy("back to the dungeon list")),
            ],
        )
    )
    register(
        Scene(
            name="encounter",
            place="dungeon",
            enter=encounter_enter,
            commands=[
                Command(("attack", "a", "공격"), encounter_attack, gettext_lazy("attack the monster")),
                Command(("run", "r", "도망"), run_away, gettext_lazy("run away")),
                Command(("stop", "s", "중단"), stop_fight, gettext_lazy("stop and go back to the entrance")),
            ],
        )
    )
    # In sight of a monster, a skill slot answers that the fight has not started.
    SCENES["encounter"].commands += [Command((str(slot),), _use_skill(slot)) for slot in (1, 2, 3)]
    register(
        Scene(
            name="manual_battle",
            place="dungeon",
            enter=manual_enter,
            commands=[
                *[
                    Command(
                        (str(slot),), _use_skill(slot), gettext_lazy("use the skill in this slot") if slot == 1 else ""
                    )
                    for slot in (1, 2, 3)
                ],
                Command(("stop", "s", "중단"), stop_fight, gettext_lazy("stop the fight")),
                Command(("run", "r", "도망"), run_away, gettext_lazy("run away")),
            ],
            fallback=fight_help,
        )
    )
    register(
        Scene(
            name="auto_battle",
            place="dungeon",
            enter=auto_enter,
            commands=[
                Command(("stop", "s", "중단", "quit", "q"), stop_fight, gettext_lazy("stop the auto-battle")),
                Command(AUTO_ALIASES, auto_settings, RETREAT_HELP),
            ],
            fallback=fight_help,
        )
    )
    register(
        Scene(
            name="skills",
            place="village",
            enter=skills_enter,
            commands=[Command(("back", "b", "돌아가기"), goto("village"), gettext_lazy("back to the village"))],
            fallback=skills_equip,
        )
    )
    on_arrival(battle_arrival, order=10)
    on_departure(battle_departure, order=10)
