"""What an auto-battle gains on average (issue 17, `help auto`): the engine itself, run from a few
fixed seeds for a short span of battle time at the character's stats. Pure, like the engine."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.progression import level_start_exp, stats_for_level
from battles.engine import Content, advance, fight_new

HOUR_MS = 3_600_000
SEEDS = (1, 2)
# Two 4-minute runs: 6-20 ms of the engine (more where more monsters die a minute), and a few
# dozen to a few hundred fights to average over.
SPAN_MS = 4 * 60_000


@dataclass(frozen=True)
class AutoEstimate:
    exp_per_hour: int
    kills_per_hour: int
    retreats_per_hour: int
    deaths: int  # runs that ended in the character's death
    runs: int


def auto_estimate(
    *,
    level: int,
    weapon_level: int,
    auto_retreat: int,
    skills: tuple[int, int, int],
    dungeon: int,
    content: Content,
    seeds: tuple[int, ...] = SEEDS,
    span_ms: int = SPAN_MS,
) -> AutoEstimate:
    """The average exp, kills and retreats per hour of battle time of a character starting at full
    hp and mp at the start of its level; a run that dies counts the time it fought."""
    character = {
        "level": level,
        "exp": level_start_exp(level),
        "weapon_level": weapon_level,
        "kills": 0,
        "deaths": 0,
        "auto_retreat": auto_retreat,
        "skill_1": skills[0],
        "skill_2": skills[1],
        "skill_3": skills[2],
        **stats_for_level(level, weapon_level),
    }
    exp = kills = retreats = deaths = fought_ms = 0
    for seed in seeds:
        fight = fight_new(character=character, dungeon=dungeon, seed=seed, mode="auto", content=content)
        events = advance(fight, span_ms, content)
        exp += fight.exp - character["exp"]
        kills += fight.kills
        retreats += sum(event.kind == "retreat" for event in events)
        deaths += fight.deaths
        fought_ms += fight.t
    fought_ms = max(fought_ms, 1)
    return AutoEstimate(
        exp_per_hour=exp * HOUR_MS // fought_ms,
        kills_per_hour=kills * HOUR_MS // fought_ms,
        retreats_per_hour=retreats * HOUR_MS // fought_ms,
        deaths=deaths,
        runs=len(seeds),
    )
