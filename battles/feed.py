"""What players read about their fights: events and summaries as marked-up text, in their language."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.status import status_event
from battles.catalog import catalog_get, localized
from battles.engine import Content, Event
from battles.events import BattleCycle, FightLine
from battles.services import AwayEnd, Summary, offline_cap_ms
from mudserver.markup import blue, columns, cyan, pad, red, yellow
from mudserver.push import Route, Told, presenter

FEED_LINES = 12  # a cycle shows at most this many lines; older ones are summed up


# Marked for translation here, translated when shown: only the one word a line needs (the feed is
# the battle workers' busiest text).
STRENGTH_WORDS = {
    "weak": gettext_noop("a glancing"),
    "normal": gettext_noop("a solid"),
    "strong": gettext_noop("a crushing"),
}


def _strength_word(strength: str) -> str:
    return _(STRENGTH_WORDS[strength])


def monster_title(content: Content, monster_id: int, lang: str) -> str:
    monster = content.monsters[monster_id]
    name = localized(monster, lang)
    if monster.kind == 1:
        return _("[Elite] %(name)s") % {"name": name}
    if monster.kind == 2:
        return _("[Boss] %(name)s") % {"name": name}
    return name


def event_line(event: Event | FightLine, content: Content, lang: str) -> str:
    if event.kind in ("hit", "hurt", "kill", "spawn", "death", "retreat"):
        monster = monster_title(content, event.ref, lang)
    match event.kind:
        case "hit":
            return blue(
                _("You land %(adj)s blow on the %(monster)s: %(damage)d damage.")
                % {"adj": _strength_word(event.strength), "monster": monster, "damage": event.value}
            )
        case "hurt":
            return red(
                _("The %(monster)s lands %(adj)s blow on you: %(damage)d damage.")
                % {"adj": _strength_word(event.strength), "monster": monster, "damage": event.value}
            )
        case "skill":
            return cyan(
                _("%(skill)s! %(damage)d damage.")
                % {"skill": localized(content.skills[event.ref], lang), "damage": event.value}
            )
        case "armor":
            return cyan(
                _("%(skill)s! Damage taken is halved for %(seconds)d seconds.")
                % {"skill": localized(content.skills[event.ref], lang), "seconds": event.value // 1000}
            )
        case "no_mp":
            return red(
                _("Not enough MP: %(skill)s needs %(cost)d.")
                % {"skill": localized(content.skills[event.ref], lang), "cost": event.value}
            )
        case "kill":
            return yellow(_("The %(monster)s falls! => EXP +%(exp)d") % {"monster": monster, "exp": event.value})
        case "level":
            return yellow(_("*** Level up! You are now level %(level)d ***") % {"level": event.value})
        case "spawn":
            return _("The %(monster)s appears!") % {"monster": monster}
        case "death":
            return red(_("Knocked out! The %(monster)s's blow was one too many...") % {"monster": monster})
        case "retreat":
            return yellow(
                _("Your HP is low! You flee from %(monster)s and rest for %(seconds)d seconds.")
                % {"monster": monster, "seconds": event.value // 1000}
            )
    raise ValueError(event.kind)


def events_text(events: list[Event] | tuple[FightLine, ...], content: Content, lang: str) -> str:
    lines = [event_line(event, content, lang) for event in events]
    if len(lines) > FEED_LINES:
        hidden = len(lines) - FEED_LINES
        lines = [_("(... %(count)d earlier lines)") % {"count": hidden}, *lines[-FEED_LINES:]]
    return "\n".join(lines)


def duration_text(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def summary_text(summary: Summary, content: Content, lang: str) -> str:
    """The away summary: a small table of what the offline chain did, and what ended it."""
    counts = summary.counts
    rows = [
        (_("Time fought"), duration_text(summary.fought_ms)),
        (_("Fights"), str(counts["away_fights"])),
        (_("Kills"), str(counts["away_kills"])),
        (
            _("Exp"),
            _("+%(exp)d (%(per_hour)d an hour)") % {"exp": counts["away_exp"], "per_hour": summary.exp_per_hour},
        ),
        (_("Levels"), f"+{counts['away_levels']}"),
        (_("Deaths"), str(counts["away_deaths"])),
        (_("Retreats"), str(counts["away_retreats"])),
    ]
    width = max(columns(label) for label, _value in rows)
    lines = [yellow(_("While you were away:"))]
    lines += [f"  {pad(label, width)}  {value}" for label, value in rows]
    for monster, count in sorted(summary.kills_by.items(), key=lambda pair: (-pair[1], pair[0])):
        name = monster_title(content, monster, lang) if monster in content.monsters else f"#{monster}"
        lines.append(f"  {' ' * width}    {name} x{count}")
    lines.append(_end_line(summary.end))
    return "\n".join(lines)


def _end_line(end: AwayEnd) -> str:
    if end is AwayEnd.DEATH:
        return red(_("  Ended by: you fell in battle."))
    if end is AwayEnd.CAP:
        return yellow(
            _("  Ended by: the %(hours)d-hour offline cap; the auto-battle paused there and goes on now.")
            % {"hours": offline_cap_ms() // 3_600_000}
        )
    return _("  Ended by: your return; the auto-battle goes on.")


def healer_hint() -> str:
    return yellow(_("You were carried to Agnes the healer. [2] to be healed, [3] back to the village."))


def cycle_told(advanced) -> tuple[list[Told], dict[int, Route]]:
    """What a batch of cycles tells, and where each player told is (read with the battles): the
    fight to players watching it or moved by it (a death, the next encounter), and the status bar
    to every connected player whose character changed."""
    told: list[Told] = []
    routes: dict[int, Route] = {}
    for item, change in advanced:
        if not item.online or not (change.events or change.scene):  # a move must reach the connection
            continue
        routes[item.character_id] = Route(item.channel, item.lang, item.scene, item.name)
        if change.scene or item.watched:
            lines = tuple(FightLine(e.kind, e.value, e.ref, e.strength) for e in change.events)
            told.append(([item.character_id], BattleCycle(lines, change.scene)))
        after = {name: getattr(change.fight, name, value) for name, value in item.character.items()}
        status = status_event(item.character, after)
        if status is not None:
            told.append(([item.character_id], status))
    return told, routes


@presenter(BattleCycle)
def cycle_present(event: BattleCycle, lang: str) -> list[str]:
    text = events_text(event.lines, catalog_get().content, lang)
    if event.scene == "heal":
        text += "\n" + healer_hint()
    elif event.scene == "encounter":
        text += "\n" + encounter_hint()
    return [text]


def encounter_hint() -> str:
    return yellow(_("[A]ttack to fight it, [R]un to leave."))
