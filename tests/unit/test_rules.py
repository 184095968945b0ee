from hypothesis import given
from hypothesis import strategies as st

from accounts.progression import MAX_LEVEL, exp_gain, exp_to_leave, level_for_exp, stats_for_level

# REQ(L) from the reconstruction of the original (original-game.md §4.6).
KNOWN_REQ = {1: 50, 2: 120, 3: 210, 4: 320, 5: 510, 10: 2760, 11: 3630, 20: 22680, 30: 90160, 40: 251600, 50: 569400}


def test_exp_table_matches_the_original():
    for level, req in KNOWN_REQ.items():
        assert exp_to_leave(level) == req
    assert exp_to_leave(MAX_LEVEL) is None


@given(st.integers(min_value=0, max_value=10**9))
def test_level_for_exp_is_consistent_with_the_table(exp):
    level = level_for_exp(exp)
    assert 1 <= level <= MAX_LEVEL
    if level > 1:
        assert exp >= exp_to_leave(level - 1)
    if level < MAX_LEVEL:
        assert exp < exp_to_leave(level)


def test_level_up_keeps_the_weapon_bonus():
    assert stats_for_level(3, weapon_level=5) == {
        "max_hp": 300,
        "max_mp": 300,
        "hp": 300,
        "mp": 300,
        "defense": 13,
        "attack": 18,
    }


def test_exp_stays_within_the_range_the_database_holds():
    """GAME.md §3: exp 0-2,000,000,000. A grant past the top stops there (the write-behind would
    otherwise carry a value MariaDB refuses); a loss below zero stops at zero."""
    top = 2_000_000_000
    state = {"exp": top - 5, "level": MAX_LEVEL, "weapon_level": 1}
    assert exp_gain(state, 5_000_000_000) == {"exp": top}
    assert exp_gain({"exp": 7, "level": 1, "weapon_level": 1}, -50) == {"exp": 0}
