"""Which dungeon fits a level. Pure; a character's growth is accounts.progression."""


def dungeon_for_level(level: int, lowest_levels: dict[int, int]) -> int:
    """The dungeon that fits a level (dungeon number -> the lowest level of its band): the hardest
    one the level has reached, or the easiest one below them all."""
    reached = [number for number, lowest in lowest_levels.items() if lowest <= level]
    if not reached:
        return min(lowest_levels, key=lowest_levels.get)
    return max(reached, key=lowest_levels.get)
