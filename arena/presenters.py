"""The arena's events (arena.events) in the player's language."""

from django.utils.translation import gettext as _

from arena.events import (
    ArenaForfeit,
    ArenaHit,
    ArenaJoined,
    ArenaLeft,
    ArenaMatchEnded,
    ArenaMatchSoon,
    ArenaMatchStarted,
    ArenaRoomClosed,
    ArenaTable,
    Fighter,
)
from mudserver.events import Event
from mudserver.markup import blue, escape, green, red, rule, yellow
from mudserver.push import presenter


def status_table(fighters: tuple[Fighter, ...], *, winner: str = "") -> str:
    lines = [rule(), yellow(_("TEAM  Lv.  DAMAGE    HP          NAME"))]
    for p in sorted(fighters, key=lambda p: (p.team, -p.damage)):
        team = (green if p.team == winner else red if p.team == "A" else blue)(f"{p.team or '-':>4}")
        lines.append(f"{team}  {p.level:>3}  {p.damage:>6}  {p.hp:>5}/{p.max_hp:<5}  {escape(p.name)}")
    lines.append(rule())
    return "\n".join(lines)


def hit_line(hit: ArenaHit) -> str:
    return red(
        _("%(attacker)s hits %(target)s for %(damage)d damage! => %(target)s HP: %(hp)d/%(max)d")
        % {
            "attacker": escape(hit.attacker),
            "target": escape(hit.target),
            "damage": hit.damage,
            "hp": hit.hp,
            "max": hit.max_hp,
        }
    )


@presenter(
    ArenaJoined,
    ArenaLeft,
    ArenaMatchSoon,
    ArenaMatchStarted,
    ArenaHit,
    ArenaTable,
    ArenaMatchEnded,
    ArenaForfeit,
    ArenaRoomClosed,
)
def arena_present(event: Event, lang: str) -> list[str]:
    return [_text(event)]


def _text(event: Event) -> str:
    match event:
        case ArenaJoined(name=name, players=players):
            return yellow(_("%(name)s joins the room (%(count)d/6).") % {"name": escape(name), "count": players})
        case ArenaLeft(name=name):
            return yellow(_("%(name)s leaves the room.") % {"name": escape(name)})
        case ArenaMatchSoon():
            return yellow(_("Six fighters! The match begins in 5 seconds..."))
        case ArenaMatchStarted(fighters=fighters):
            begins = _("The match begins! Attack with '<target> <attack>' (3 seconds between attacks).")
            return "\n".join([red(begins), status_table(fighters)])
        case ArenaHit():
            return hit_line(event)
        case ArenaTable(fighters=fighters):
            return status_table(fighters)
        case ArenaMatchEnded(winner=winner, reward=reward, fighters=fighters):
            return "\n".join(
                [
                    green(_("TEAM %(team)s wins! Winners gain %(exp)d exp.") % {"team": winner, "exp": reward}),
                    status_table(fighters, winner=winner),
                    yellow(_("Everyone is restored. Back to the village in 5 seconds...")),
                ]
            )
        case ArenaForfeit(name=name):
            return red(_("%(name)s has left the world and falls out of the match.") % {"name": escape(name)})
        case ArenaRoomClosed():
            return yellow(_("You return to the village. [L]ist shows who is here."))
    raise ValueError(event.kind)
