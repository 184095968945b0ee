import random

import pytest

from village.rules import dice_roll, dice_score, enhance_chance, enhance_cost, stake_limit


@pytest.mark.parametrize(("w", "chance"), [(1, 96.39), (2, 95.59), (10, 74.32), (20, 42.98), (30, 22.09)])
def test_enhance_chance_matches_the_original_table(w, chance):
    assert round(enhance_chance(w), 2) == chance


def test_enhance_cost_and_stake_limit():
    assert enhance_cost(1) == 10 and enhance_cost(12) == 120
    assert stake_limit(9) == 0 and stake_limit(105) == 10


def test_dice_with_a_seeded_source_is_repeatable():
    assert dice_roll(random.Random(7)) == dice_roll(random.Random(7))
    assert len(dice_roll(random.Random(7))) == 5


def test_dice_score_counts_ties_as_losses():
    assert dice_score([(3, 4), (4, 4), (6, 1), (1, 6), (2, 5)]) == 1
    assert dice_score([(1, 1)] * 5) == -5
