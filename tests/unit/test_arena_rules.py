"""The arena's reward and rating rules (GAME.md §6) against tables written out here, in exact
integer arithmetic, independently of arena.rules."""

import itertools
import math

import pytest

from arena.rules import match_reward, rating_after, rating_change


def _reward(levels) -> int:
    """50 × the mean level, rounded half up: floor((2·50·sum + n) / 2n)."""
    return (2 * 50 * sum(levels) + len(levels)) // (2 * len(levels))


@pytest.mark.parametrize(
    ("levels", "reward"),
    [
        ((1, 1, 2), 67),  # GAME.md's own example; banker's rounding of the mean gave 50
        ((1, 1, 1), 50),
        ((1, 2, 2), 83),
        ((5, 4, 1), 167),
        ((6, 3, 2), 183),
        ((100, 100, 99), 4983),
        ((1, 2), 75),
        ((3,), 150),
    ],
)
def test_reward_table(levels, reward):
    assert match_reward(list(levels)) == reward


def test_reward_over_every_three_losers_up_to_level_30():
    for levels in itertools.combinations_with_replacement(range(1, 31), 3):
        assert match_reward(list(levels)) == _reward(levels), levels


def _elo(own, other, won) -> int:
    """K = 32 on the teams' mean ratings; half up: floor(x + 1/2)."""
    expected = 1 / (1 + 10 ** ((sum(other) / len(other) - sum(own) / len(own)) / 400))
    return math.floor(32 * ((1 if won else 0) - expected) + 0.5)


@pytest.mark.parametrize(
    ("own", "other", "won", "change"),
    [
        ((1000, 1000, 1000), (1000, 1000, 1000), True, 16),
        ((1000, 1000, 1000), (1000, 1000, 1000), False, -16),
        ((1000, 1000, 1000), (1200, 1200, 1200), True, 24),  # E = 1/(1+10^0.5) = 0.2403: 24.31
        ((1000, 1000, 1000), (1200, 1200, 1200), False, -8),  # -7.69
        ((1200, 1200, 1200), (1000, 1000, 1000), True, 8),  # 7.69
        ((1000, 1100, 1300), (900, 1000, 1200), True, 12),  # means 1133.3 / 1033.3: E = 0.6401, 11.52
        ((900, 1000, 1200), (1000, 1100, 1300), False, -12),  # -11.52
    ],
)
def test_rating_table(own, other, won, change):
    assert rating_change(list(own), list(other), won=won) == change
    assert _elo(own, other, won) == change


def test_rating_over_a_grid_matches_the_formula():
    for a, b in itertools.product(range(0, 3001, 137), repeat=2):
        for won in (True, False):
            assert rating_change([a, a, a], [b, b + 1, b + 2], won=won) == _elo((a, a, a), (b, b + 1, b + 2), won)


def test_ratings_stay_within_the_range():
    assert rating_after(5, -16) == 0
    assert rating_after(9_990, 16) == 10_000
    assert rating_after(1000, -8) == 992
