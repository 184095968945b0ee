"""The rankings' boards (issue 17): Redis sorted sets of character ids, kept by the hot-state store's
own write (accounts.character_state) in the script that writes the change, so a board costs no round
trip of its own. Pure: the keys, the scores and the KST week; accounts.rankings reads and rebuilds.

A board's score: `level` is level * 10**10 + exp (exp <= MAX_EXP < 10**10 and the largest score,
about 1.0e12, is far below 2**53: a double holds it exactly, and level then exp orders it); `kills`
and `arena` the number itself; `week` the exp gained in the current KST week (Monday 00:00 Asia/Seoul,
which keeps +9 hours all year), one key per week.
"""

from accounts.progression import MAX_EXP, MAX_LEVEL

LEVEL_SHIFT = 10**10
assert MAX_EXP < LEVEL_SHIFT and MAX_LEVEL * LEVEL_SHIFT + MAX_EXP < 2**53

BOARD_KEYS = {"level": "mud:top:level", "kills": "mud:top:kills", "arena": "mud:top:arena"}
BOARDS = ("level", "kills", "arena", "week")
# Set by a complete rebuild: its absence (Redis lost its data) asks for one (accounts.rankings).
BUILT_KEY = "mud:top:built"
WEEK_MS = 7 * 24 * 3600 * 1000
# The Unix epoch was a Thursday 00:00 UTC: the first KST Monday 00:00 after it is 4 days on, less 9 hours.
_FIRST_MONDAY_KST_MS = (4 * 24 - 9) * 3600 * 1000
RANKED_FIELDS = frozenset({"level", "exp", "kills", "arena_rating"})


def week_of(ms: int) -> int:
    """The KST week holding the instant `ms` (Unix ms): weeks since the first one after the epoch."""
    return (ms - _FIRST_MONDAY_KST_MS) // WEEK_MS


def week_start_ms(week: int) -> int:
    """The instant (Unix ms) the KST week `week` starts: a Monday 00:00 in Seoul."""
    return _FIRST_MONDAY_KST_MS + week * WEEK_MS


def week_key(week: int) -> str:
    return f"mud:top:week:{week}"


def board_key(board: str, week: int) -> str:
    return week_key(week) if board == "week" else BOARD_KEYS[board]


def level_score(level: int, exp: int) -> int:
    return level * LEVEL_SHIFT + exp


def level_of_score(score: float) -> tuple[int, int]:
    """(level, exp) of a `level` board's score."""
    level, exp = divmod(int(score), LEVEL_SHIFT)
    return level, exp


def board_entries(
    cid: int, state: dict[str, int], changes: dict[str, int], week: int
) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    """A character's change as written, with the board entries (key, member, score) it makes, given
    the state it was computed from and the current week: exp gained also counts in the week's
    `week`/`week_exp` fields, added to a copy of `changes`."""
    entries = []
    if "level" in changes or "exp" in changes:
        level, exp = changes.get("level", state["level"]), changes.get("exp", state["exp"])
        entries.append((BOARD_KEYS["level"], cid, level_score(level, exp)))
        gained = exp - state["exp"]
        if gained > 0:
            # Within exp's own bound: a week's exp is exp, and a wrong value set aside (exp out of
            # range, corrected by a game master) must not leave a week's count the database refuses.
            week_exp = min(MAX_EXP, (state.get("week_exp", 0) if state.get("week") == week else 0) + gained)
            changes = {**changes, "week": week, "week_exp": week_exp}
            entries.append((week_key(week), cid, week_exp))
    if "kills" in changes:
        entries.append((BOARD_KEYS["kills"], cid, changes["kills"]))
    if "arena_rating" in changes:
        entries.append((BOARD_KEYS["arena"], cid, changes["arena_rating"]))
    return changes, entries


def board_load_keys(week: int) -> list[str]:
    """The boards as BOARDS_LUA takes them, KEYS[1..4]."""
    return [BOARD_KEYS["level"], BOARD_KEYS["kills"], BOARD_KEYS["arena"], week_key(week)]


# Lua for the scripts that place characters on every board from their numbers (as strings): from the
# hash at load (accounts.character_state), from the hash or else the row in a rebuild
# (accounts.rankings). KEYS[1..4] are board_load_keys. `place` adds a character to the pending
# entries of each board, `boards_write` writes them in one ZADD a board. The level score is the
# level's digits then exp's ten: level * 10**10 + exp, made as text so no Lua number (a double
# printed with 14 digits) is in between.
BOARDS_LUA = """
local function place(boards, id, v, current_week)
  local level, kills, arena, week = boards[1], boards[2], boards[3], boards[4]
  level[#level + 1] = v[1] .. string.rep('0', 10 - #v[2]) .. v[2]
  level[#level + 1] = id
  kills[#kills + 1] = v[3]
  kills[#kills + 1] = id
  arena[#arena + 1] = v[4]
  arena[#arena + 1] = id
  if (v[5] or '0') == current_week and tonumber(v[6] or '0') > 0 then
    week[#week + 1] = v[6]
    week[#week + 1] = id
  end
end
local function hot(char)
  local v = redis.call('HMGET', char, 'level', 'exp', 'kills', 'arena_rating', 'week', 'week_exp')
  if v[1] then return v end
end
local function boards_write(boards)
  for i = 1, 4 do
    if #boards[i] > 0 then redis.call('ZADD', KEYS[i], unpack(boards[i])) end
  end
end
"""
