"""Property tests of the rules engine (GAME.md §3–5), on the shipped content, without a database."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.progression import exp_to_leave, level_for_exp, stats_for_level
from battles import content as shipped
from battles.catalog import content_build
from battles.engine import (
    MANUAL_EXCHANGE_MS,
    Fight,
    MonsterInfo,
    SkillInfo,
    advance,
    attack_start,
    fight_new,
    hit,
    skill_use,
)


def _shipped_content():
    monsters, number = [], 0
    for dungeon, names in shipped.MONSTER_NAMES.items():
        for kind, (name_ko, name_en) in enumerate(names):
            number += 1
            stats = {k: shipped.monster_stat(v, dungeon, kind) for k, v in shipped.MONSTER_BASE.items()}
            monsters.append(
                MonsterInfo(number, dungeon, kind, name_ko, name_en, weight=shipped.SPAWN_WEIGHTS[kind], **stats)
            )
    skills = [
        SkillInfo(i, ko, en, effect, cost, mult, level, duration)
        for i, (ko, en, effect, cost, mult, level, duration) in enumerate(shipped.SKILLS, start=1)
    ]
    return content_build(monsters, skills)


CONTENT = _shipped_content()


@st.composite
def fights(draw, mode="auto"):
    exp = draw(st.integers(min_value=0, max_value=600_000))
    level = level_for_exp(exp)
    weapon = draw(st.integers(min_value=1, max_value=30))
    stats = stats_for_level(level, weapon)
    character = {
        **stats,
        "level": level,
        "exp": exp,
        "weapon_level": weapon,
        "kills": 0,
        "deaths": 0,
        "auto_retreat": draw(st.integers(min_value=0, max_value=90)),
        "hp": draw(st.integers(min_value=1, max_value=stats["max_hp"])),
        "mp": draw(st.integers(min_value=0, max_value=stats["max_mp"])),
        "skill_1": draw(st.sampled_from([0, 1, 2])),
        "skill_2": draw(st.sampled_from([0, 3, 4])),
        "skill_3": draw(st.sampled_from([0, 5])),
    }
    return fight_new(
        character=character,
        dungeon=draw(st.integers(min_value=1, max_value=5)),
        seed=draw(st.integers(min_value=0, max_value=2**63)),
        mode=mode,
        content=CONTENT,
    )


def _copy(fight: Fight) -> Fight:
    return dataclasses.replace(fight, events=[])


@settings(max_examples=60, deadline=None)
@given(fights(), st.integers(min_value=0, max_value=120_000))
def test_hp_mp_stay_in_range_and_level_follows_exp(fight, span):
    advance(fight, span, CONTENT)
    assert 0 <= fight.hp <= fight.max_hp and 0 <= fight.mp <= fight.max_mp
    assert fight.level == level_for_exp(fight.exp)
    assert fight.max_hp == 100 * fight.level and fight.attack == 10 + fight.level + fight.weapon_level
    assert (fight.phase == "dead") == (fight.hp == 0)


@settings(max_examples=60, deadline=None)
@given(fights(), st.integers(min_value=0, max_value=60_000))
def test_same_seed_same_fight(fight, span):
    twin = _copy(fight)
    assert advance(fight, span, CONTENT) == advance(twin, span, CONTENT)
    assert fight == twin


@settings(max_examples=60, deadline=None)
@given(fights(), st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=8))
def test_one_span_or_pieces_give_the_same_fight(fight, pieces):
    whole, stepped = _copy(fight), _copy(fight)
    events_whole = advance(whole, sum(pieces), CONTENT)
    events_stepped, until = [], 0
    for piece in pieces:
        until += piece
        events_stepped += advance(stepped, until, CONTENT)
    assert whole == stepped and events_whole == events_stepped


def test_hit_range():
    assert [hit(100, r) for r in (0, 39, 40)] == [80, 119, 80]


def test_a_big_kill_gives_several_levels_and_keeps_the_weapon():
    character = {
        **stats_for_level(1, 7),
        "level": 1,
        "exp": 0,
        "weapon_level": 7,
        "kills": 0,
        "deaths": 0,
        "auto_retreat": 30,
        "skill_1": 1,
        "skill_2": 0,
        "skill_3": 0,
    }
    fight = fight_new(character=character, dungeon=5, seed=1, mode="auto", content=CONTENT)
    fight.attack = 100_000  # one blow kills anything in dungeon 5 (exp >= 90)
    fight.exp = 400
    advance(fight, 500, CONTENT)
    kill = next(e for e in fight.events if e.kind == "kill")
    assert fight.exp == 400 + kill.value and fight.level == level_for_exp(fight.exp) >= 3
    assert [e.value for e in fight.events if e.kind == "level"] == list(range(2, fight.level + 1))
    assert fight.attack == 10 + fight.level + 7 and fight.hp == fight.max_hp  # refilled by the level-up
    assert fight.exp < exp_to_leave(fight.level)


def test_death_is_stored_and_ends_the_fight():
    character = {
        **stats_for_level(1, 1),
        "level": 1,
        "exp": 0,
        "weapon_level": 1,
        "kills": 0,
        "deaths": 0,
        "auto_retreat": 30,
        "skill_1": 1,
        "skill_2": 0,
        "skill_3": 0,
        "hp": 1,
    }
    fight = fight_new(character=character, dungeon=5, seed=3, mode="auto", content=CONTENT)
    advance(fight, 10_000, CONTENT)
    assert fight.phase == "dead" and fight.hp == 0 and fight.deaths == 1
    assert fight.events[-1].kind == "death"
    assert advance(fight, 20_000, CONTENT) == []


def test_manual_fight_waits_for_attack_and_stops_at_each_kill():
    character = {
        **stats_for_level(10, 1),
        "level": 10,
        "exp": 2070,
        "weapon_level": 1,
        "kills": 0,
        "deaths": 0,
        "auto_retreat": 30,
        "skill_1": 1,
        "skill_2": 0,
        "skill_3": 0,
    }
    fight = fight_new(character=character, dungeon=1, seed=5, mode="manual", content=CONTENT)
    assert fight.phase == "encounter" and advance(fight, 60_000, CONTENT) == []
    attack_start(fight, 60_000)
    events = advance(fight, 60_000 + 30 * MANUAL_EXCHANGE_MS, CONTENT)
    assert [e.kind for e in events].count("kill") == 1 and fight.phase == "encounter"
    assert all(e.t % MANUAL_EXCHANGE_MS == 0 for e in events)


def test_manual_skill_costs_mp_and_is_refused_without_it():
    character = {
        **stats_for_level(1, 1),
        "level": 1,
        "exp": 0,
        "weapon_level": 1,
        "kills": 0,
        "deaths": 0,
        "auto_retreat": 30,
        "skill_1": 1,
        "skill_2": 0,
        "skill_3": 0,
    }
    fight = fight_new(character=character, dungeon=1, seed=9, mode="manual", content=CONTENT)
    attack_start(fight, 0)
    events = skill_use(fight, 1, 100, CONTENT)
    assert events[0].kind == "skill" and fight.mp == 0
    events = skill_use(fight, 1, 200, CONTENT)
    assert events[0].kind == "no_mp" and fight.mp == 0
    assert skill_use(fight, 2, 300, CONTENT) == []  # an empty slot does nothing
