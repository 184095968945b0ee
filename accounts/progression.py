"""A character's progression, GAME.md §3: the experience table, the stats of a level and the bounds of
a character's numbers. Pure functions, used by every app (accounts, battles, village, arena)."""

from functools import cache

MAX_LEVEL = 100
MAX_EXP = 2_000_000_000  # GAME.md §3: exp stays within 0-2,000,000,000 (the database holds it too)
BASE_STAT = 10
HP_PER_LEVEL = 100
AUTO_RETREAT_DEFAULT = 30  # % of max hp below which the auto-battle retreats (GAME.md §5)
AUTO_RETREAT_MAX = 90
MAX_WEAPON_LEVEL = 1_000  # GAME.md §3: weapon level 1-1,000
RATING_MIN, RATING_MAX = 0, 10_000  # GAME.md §3: the arena rating


@cache
def _req_table() -> tuple[int, ...]:
    """REQ(L) for L = 1..MAX_LEVEL: the cumulative exp needed to leave level L."""
    req, step = [50], 50
    for level in range(2, MAX_LEVEL + 1):
        step += 20 * (level // 5 + 1) ** 2
        req.append(req[-1] + step)
    return tuple(req)


def exp_to_leave(level: int) -> int | None:
    """Cumulative exp needed to reach level+1, or None at the maximum level."""
    if level >= MAX_LEVEL:
        return None
    return _req_table()[level - 1]


def exp_to_next_level(level: int, exp: int) -> int | None:
    """Exp still to gain before the next level, or None at the maximum level."""
    needed = exp_to_leave(level)
    return None if needed is None else max(0, needed - exp)


def level_start_exp(level: int) -> int:
    """The least cumulative exp a character of this level holds."""
    return 0 if level <= 1 else _req_table()[level - 2]


def level_for_exp(exp: int) -> int:
    level = 1
    while level < MAX_LEVEL and exp >= _req_table()[level - 1]:
        level += 1
    return level


def stats_for_level(level: int, weapon_level: int) -> dict[str, int]:
    """Level-up to L refills hp/mp to 100·L; the weapon's bonus is never lost."""
    return {
        "max_hp": HP_PER_LEVEL * level,
        "max_mp": HP_PER_LEVEL * level,
        "hp": HP_PER_LEVEL * level,
        "mp": HP_PER_LEVEL * level,
        "defense": BASE_STAT + level,
        "attack": attack_for(level, weapon_level),
    }


def attack_for(level: int, weapon_level: int) -> int:
    return BASE_STAT + level + weapon_level


def exp_gain(state: dict[str, int], amount: int) -> dict[str, int]:
    """The changes of gaining (or losing) `amount` exp, kept within 0..MAX_EXP: levels go up as far
    as the exp allows and never down; a level-up refills hp and mp and keeps the weapon's bonus."""
    exp = min(MAX_EXP, max(0, state["exp"] + amount))
    level = max(state["level"], level_for_exp(exp))
    changes = {"exp": exp}
    if level != state["level"]:
        changes.update(level=level, **stats_for_level(level, state["weapon_level"]))
    return changes
