"""Blacksmith and dice rules of GAME.md §2. Pure functions; randomness comes in as arguments."""

import random
from fractions import Fraction
from math import comb

DICE_ROUNDS = 5
STAKE_SHARE = 10  # a stake may be at most 1/10 of current exp
FAILED_ENHANCE_COST = 10


def enhance_cost(weapon_level: int) -> int:
    return 10 * weapon_level


def enhance_chance(weapon_level: int) -> float:
    """Success chance in percent: 25·(w+10) / 1.1^(w+10)."""
    n = weapon_level + 10
    return 25 * n / 1.1**n


def stake_limit(exp: int) -> int:
    return exp // STAKE_SHARE


def dice_roll(rng: random.Random) -> list[tuple[int, int]]:
    """Five rounds of (dealer, player) d6."""
    return [(rng.randint(1, 6), rng.randint(1, 6)) for _ in range(DICE_ROUNDS)]


def dice_score(rounds: list[tuple[int, int]]) -> int:
    """+1 for each round the player wins strictly, −1 otherwise; above 0 wins."""
    return sum(1 if player > dealer else -1 for dealer, player in rounds)


def dice_round_chance() -> Fraction:
    """The chance of winning one round: of the 36 (dealer, player) pairs, 15 have the player higher."""
    return Fraction(sum(player > dealer for dealer in range(1, 7) for player in range(1, 7)), 36)


def dice_win_chance() -> Fraction:
    """The chance of winning a game: the score is wins − losses of 5 rounds, above 0 from 3 wins up."""
    p = dice_round_chance()
    wins_needed = DICE_ROUNDS // 2 + 1
    return sum(comb(DICE_ROUNDS, k) * p**k * (1 - p) ** (DICE_ROUNDS - k) for k in range(wins_needed, DICE_ROUNDS + 1))


def dice_expected_gain(stake: int) -> Fraction:
    """The average result of staking `stake` exp: a win pays the stake, a loss takes it."""
    return stake * (2 * dice_win_chance() - 1)
