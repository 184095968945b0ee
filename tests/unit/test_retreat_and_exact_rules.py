"""The auto-battle's retreat, the monster stats and the hit adjective of GAME.md §3 and §5, checked
against values written out here in exact arithmetic (Fraction), not computed by the code under test."""

import random
import re
from collections import Counter
from fractions import Fraction

import pytest
from django.utils import translation

from accounts.progression import stats_for_level
from battles import content as shipped
from battles.engine import REST_MS, advance, fight_new, hit, strength
from battles.feed import summary_text
from battles.services import AwayEnd, Summary, _tally
from tests.unit.test_engine import CONTENT

TEN_MINUTES = 10 * 60 * 1000
SEEDS = range(200)


# --- monster stats: ceil(base · d · (0.8 + 0.2·d) · (1 + 1.5·type))


def monster_stats_exact(dungeon: int, kind: int) -> dict[str, int]:
    d, factor = Fraction(dungeon), (Fraction(8, 10) + Fraction(2, 10) * dungeon) * (1 + Fraction(3, 2) * kind)
    stats = {}
    for stat, base in {"hp": 50, "attack": 5, "defense": 5, "exp": 10}.items():
        value = base * d * factor
        stats[stat] = value.numerator // value.denominator + (value.denominator != 1)  # ceil
    return stats


MONSTER_TABLE = {(d, kind): monster_stats_exact(d, kind) for d in range(1, 6) for kind in range(3)}


def test_the_exact_table_is_the_one_gamemd_gives():
    assert MONSTER_TABLE[(3, 0)] == {"hp": 210, "attack": 21, "defense": 21, "exp": 42}
    assert MONSTER_TABLE[(1, 1)] == {"hp": 125, "attack": 13, "defense": 13, "exp": 25}


@pytest.mark.parametrize(("dungeon", "kind"), sorted(MONSTER_TABLE))
def test_shipped_monster_stats_are_exact(dungeon, kind):
    stats = {stat: shipped.monster_stat(base, dungeon, kind) for stat, base in shipped.MONSTER_BASE.items()}
    assert stats == MONSTER_TABLE[(dungeon, kind)]


# --- the hit adjective follows hit/base: < 0.95 weak, < 1.05 normal, else strong


def adjective_exact(damage: int, base: int) -> str:
    ratio = Fraction(damage, base)
    return "weak" if ratio < Fraction(95, 100) else "normal" if ratio < Fraction(105, 100) else "strong"


def test_the_adjective_of_every_hit_follows_damage_over_base():
    differs_from_the_roll = 0
    for base in range(1, 400):
        for r in range(80, 120):
            damage = Fraction(base * r, 100).__floor__()
            assert hit(base, r - 80) == damage
            assert strength(damage, base) == adjective_exact(damage, base), (base, r)
            by_roll = "weak" if r < 95 else "normal" if r < 105 else "strong"  # what the roll alone gave
            differs_from_the_roll += adjective_exact(damage, base) != by_roll
    assert differs_from_the_roll > 0  # e.g. base 13, r 95: 12/13 is weak although r is not


def test_the_feed_events_carry_the_adjective_of_their_damage():
    fight = _newcomer(seed=7)
    events = advance(fight, 60_000, CONTENT)
    checked, attack = 0, 10 + 1 + 1
    for event in events:
        if event.kind == "level":
            attack = 10 + event.value + 1  # GAME.md §3: 10 + level + weapon level
        elif event.kind == "hit":
            assert event.strength == adjective_exact(event.value, attack)
        elif event.kind == "hurt":
            assert event.strength == adjective_exact(event.value, CONTENT.monsters[event.ref].attack)
        else:
            continue
        checked += 1
    assert checked > 100


# --- the retreat (GAME.md §5)


def _newcomer(seed: int, **changes):
    """A character as sign-up makes it (GAME.md §2), with the default retreat threshold, in dungeon 1."""
    character = {
        **stats_for_level(1, 1),
        "level": 1,
        "exp": 0,
        "weapon_level": 1,
        "kills": 0,
        "deaths": 0,
        "skill_1": 1,
        "skill_2": 0,
        "skill_3": 0,
        "auto_retreat": 30,
        **changes,
    }
    return fight_new(character=character, dungeon=1, seed=seed, mode="auto", content=CONTENT)


def _offline_pieces(seed: int, total: int) -> list[int]:
    """Cycle ends as the workers would reach them: 1 s and 2 s cycles, some late, some twice."""
    rng, ends, t = random.Random(seed), [], 0
    while t < total:
        t = min(total, t + rng.choice((0, 1000, 1000, 2000, 2000, 2500, 7000)))
        ends.append(t)
    return ends


def test_a_newcomer_left_ten_minutes_in_dungeon_1_lives_gains_exp_and_the_summary_counts_its_retreats():
    retreated = 0
    for seed in SEEDS:
        online, offline = _newcomer(seed), _newcomer(seed)
        events = advance(online, TEN_MINUTES, CONTENT)
        pieces = []
        for until in _offline_pieces(seed, TEN_MINUTES):
            pieces += advance(offline, until, CONTENT)
        assert online == offline and events == pieces, seed
        assert online.phase == "fighting" and online.deaths == 0 and online.hp > 0, seed
        assert online.exp > 0 and online.kills > 0, seed
        retreats = [e for e in events if e.kind == "retreat"]
        counts, kills_by = _tally(pieces)
        assert counts["away_retreats"] == len(retreats)
        assert kills_by == Counter(e.ref for e in events if e.kind == "kill")
        summary = Summary(True, counts, kills_by, TEN_MINUTES, AwayEnd.RETURN, 1)
        with translation.override("en"):
            text = summary_text(summary, CONTENT, "en")
        assert re.search(rf"Retreats +{len(retreats)}\n", text), text
        retreated += bool(retreats)
    assert retreated > 0  # the newcomers are saved by retreating, not by luck


def test_without_the_retreat_newcomers_die():
    dead = sum(
        advance(f := _newcomer(seed, auto_retreat=0), TEN_MINUTES, CONTENT) and f.phase == "dead" for seed in SEEDS
    )
    assert dead > len(SEEDS) // 4


def test_a_retreat_follows_a_hit_below_the_threshold_and_rests_30_seconds_at_full_recovery():
    seen = 0
    for seed in range(60):
        fight = _newcomer(seed)
        events = advance(fight, TEN_MINUTES, CONTENT)
        for i, event in enumerate(events):
            if event.kind != "retreat":
                continue
            seen += 1
            assert events[i - 1].kind == "hurt" and events[i - 1].t == event.t
            after = events[i + 1 :]
            assert all(e.t >= event.t + REST_MS for e in after)  # nothing is exchanged while resting
            if after:  # the rest ends with a freshly rolled monster
                assert after[0].kind == "spawn" and after[0].t == event.t + REST_MS
            replay = _newcomer(seed)
            advance(replay, event.t, CONTENT)
            assert 100 * replay.hp < 30 * replay.max_hp and replay.phase == "fighting"
            top, hp, mp = replay.max_hp, replay.hp, replay.mp  # max hp = max mp = 100 · level
            step = -(-top // 60)  # 1/60 of the maximum, rounded up, at each 0.5 s tick
            advance(replay, event.t + REST_MS - 1, CONTENT)
            assert (replay.hp, replay.mp) == (min(top, hp + 59 * step), min(top, mp + 59 * step))
            used = sum(
                CONTENT.skills[e.ref].mp_cost for e in advance(replay, event.t + REST_MS, CONTENT) if e.kind == "skill"
            )
            assert replay.hp == replay.max_hp and replay.mp + used == replay.max_mp  # full when it ends
    assert seen > 0


def test_the_threshold_is_strict_and_checked_after_each_monster_hit():
    probe = _newcomer(3)
    first_hurt = next(e for e in advance(probe, 60_000, CONTENT) if e.kind == "hurt")
    for hp_before, retreats in ((30 + first_hurt.value, False), (29 + first_hurt.value, True)):
        fight = _newcomer(3, hp=hp_before)
        events = advance(fight, first_hurt.t, CONTENT)
        assert fight.hp == hp_before - first_hurt.value
        assert (events[-1].kind == "retreat") == retreats, hp_before


def test_a_retreat_is_a_fight_not_a_kill():
    for seed in range(20):
        fight = _newcomer(seed)
        events = advance(fight, TEN_MINUTES, CONTENT)
        counts, _kills_by = _tally(events)
        retreats = sum(e.kind == "retreat" for e in events)
        resting = int(fight.rest_until > 0)
        # After each kill and at the end of each rest a new fight begins; a retreat is no kill.
        assert counts["away_fights"] == counts["away_kills"] + retreats - resting
        assert fight.kills == counts["away_kills"] == sum(e.kind == "kill" for e in events)
