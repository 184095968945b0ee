"""The numbers `help <topic>` shows (issue 17), each against a value worked out by hand from GAME.md."""

from fractions import Fraction

import pytest
from asgiref.sync import sync_to_async

from accounts.progression import exp_to_next_level, level_start_exp
from battles.catalog import Catalog
from battles.engine import Content, MonsterInfo
from battles.estimate import auto_estimate
from battles.rules import dungeon_for_level
from game import help_topics
from game.help_topics import percent
from village.rules import dice_expected_gain, dice_round_chance, dice_win_chance, enhance_chance


# 25·(w+10) / 1.1^(w+10), worked out with 30-digit decimals
@pytest.mark.parametrize(("w", "shown"), [(1, "96.39"), (10, "74.32"), (100, "0.08"), (300, "1.1e-09")])
def test_the_enhancement_chance_as_shown(w, shown):
    assert percent(enhance_chance(w)) == shown


def test_dice_odds_and_payout():
    # a round: the player's die strictly higher in 15 of the 36 pairs (5 + 4 + 3 + 2 + 1)
    assert dice_round_chance() == Fraction(15, 36)
    # a game: 3, 4 or 5 rounds won of 5 at 5/12: (10·5³·7² + 5·5⁴·7 + 5⁵) / 12⁵
    assert dice_win_chance() == Fraction(10 * 125 * 49 + 5 * 625 * 7 + 3125, 12**5) == Fraction(14375, 41472)
    # a stake of 1,000 wins 1,000 with that chance and loses 1,000 otherwise
    assert dice_expected_gain(1000) == Fraction(1000 * 14375 - 1000 * (41472 - 14375), 41472)
    assert percent(float(-dice_expected_gain(100))) == "30.68"


# REQ(1) = 50, e_i = e_{i-1} + 20·⌊i/5 + 1⌋²: e = 50, 70, 90, 110, 190 so REQ = 50, 120, 210, 320, 510
@pytest.mark.parametrize(("level", "exp", "to_next"), [(1, 0, 50), (2, 60, 60), (3, 200, 10), (5, 320, 190)])
def test_exp_to_the_next_level(level, exp, to_next):
    assert exp_to_next_level(level, exp) == to_next


def test_exp_to_the_next_level_at_the_top_and_where_a_level_starts():
    assert exp_to_next_level(100, 10**9) is None
    assert [level_start_exp(level) for level in (1, 2, 3, 6)] == [0, 50, 120, 510]


BANDS = {1: 0, 2: 10, 3: 20, 4: 30, 5: 40}  # GAME.md §2: the lowest level of each dungeon's band


@pytest.mark.parametrize(("level", "dungeon"), [(1, 1), (9, 1), (10, 2), (29, 3), (30, 4), (50, 5), (100, 5)])
def test_the_dungeon_that_fits_a_level(level, dungeon):
    assert dungeon_for_level(level, BANDS) == dungeon


def test_below_every_band_the_easiest_dungeon_fits():
    assert dungeon_for_level(3, {7: 5, 8: 20}) == 7


def _content(*, hp: int, attack: int, exp: int) -> Content:
    monster = MonsterInfo(1, 1, 0, "몹", "Mob", hp, attack, 0, exp, 1)
    return Content(monsters={1: monster}, skills={}, spawn_tables={1: (monster,)})


def _estimate(content: Content, *, level: int = 1, retreat: int = 30):
    return auto_estimate(
        level=level, weapon_level=1, auto_retreat=retreat, skills=(0, 0, 0), dungeon=1, content=content, span_ms=300_000
    )


def test_a_monster_that_dies_at_every_blow_gives_its_exp_every_half_second():
    estimate = _estimate(_content(hp=1, attack=0, exp=7))
    assert (estimate.kills_per_hour, estimate.exp_per_hour) == (3_600_000 // 500, 3_600_000 // 500 * 7)
    assert (estimate.retreats_per_hour, estimate.deaths) == (0, 0)


def test_a_monster_that_cannot_die_and_hurts_makes_a_retreat_every_30_and_a_half_seconds():
    # level 10: 1,000 hp; a blow of 160-238 leaves less than 90 %: a retreat at the first blow, 30 s of
    # rest, a new monster and its first blow 0.5 s later; in 5 minutes at 0.5, 31, ..., 275 s: 10
    estimate = _estimate(_content(hp=10**9, attack=200, exp=7), level=10, retreat=90)
    assert (estimate.retreats_per_hour, estimate.kills_per_hour, estimate.exp_per_hour) == (10 * 12, 0, 0)


def test_runs_that_die_are_counted():
    estimate = _estimate(_content(hp=10**9, attack=10**6, exp=7), retreat=0)
    assert (estimate.deaths, estimate.runs, estimate.exp_per_hour) == (2, 2, 0)


async def test_an_estimate_is_computed_once_per_character_settings_and_content_version(monkeypatch):
    calls = []

    def counted(**kwargs):
        calls.append(kwargs)
        return auto_estimate(**kwargs)

    monkeypatch.setattr(help_topics, "_estimates", {})
    monkeypatch.setattr(help_topics, "_auto_estimate", sync_to_async(counted))
    content = _content(hp=1, attack=0, exp=7)
    state = {"level": 3, "weapon_level": 2, "auto_retreat": 30, "skill_1": 1, "skill_2": 0, "skill_3": 0}
    first = await help_topics.auto_estimate_get(state, 1, Catalog(5, {}, content))
    assert await help_topics.auto_estimate_get(dict(state, exp=99), 1, Catalog(5, {}, content)) == first
    assert len(calls) == 1 and calls[0]["level"] == 3 and calls[0]["skills"] == (1, 0, 0)
    await help_topics.auto_estimate_get(dict(state, auto_retreat=50), 1, Catalog(5, {}, content))
    await help_topics.auto_estimate_get(state, 1, Catalog(6, {}, content))  # a game master edited the content
    assert [call["auto_retreat"] for call in calls] == [30, 50, 30]
