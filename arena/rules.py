"""The arena's rewards and ratings (GAME.md §6). Pure functions in exact arithmetic."""

from fractions import Fraction
from math import floor

from accounts.progression import RATING_MAX, RATING_MIN

EXP_PER_LOSER_LEVEL = 50
ELO_K = 32
ELO_SCALE = 400


def half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


def match_reward(loser_levels: list[int]) -> int:
    """Each winner's exp: 50 × the losers' average level, exact, rounded once, half up."""
    if not loser_levels:
        return 0
    return half_up(Fraction(EXP_PER_LOSER_LEVEL * sum(loser_levels), len(loser_levels)))


def rating_change(own_team: list[int], other_team: list[int], *, won: bool) -> int:
    """Elo on the teams' average ratings: K·(S − E), E = 1 / (1 + 10^((R_other − R_own)/400)),
    rounded half up. The power is irrational in general, so E is a float; the rest is exact."""
    difference = Fraction(sum(other_team), len(other_team)) - Fraction(sum(own_team), len(own_team))
    expected = Fraction(1 / (1 + 10 ** float(difference / ELO_SCALE)))
    return half_up(ELO_K * ((1 if won else 0) - expected))


def rating_after(rating: int, change: int) -> int:
    return min(RATING_MAX, max(RATING_MIN, rating + change))
