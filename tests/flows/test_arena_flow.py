"""The arena over real WebSockets, its six fighters split over two daphne processes, with the real
Celery worker running the timers (GAME.md §6)."""

import math
import re

import pytest

from accounts.character_state import character_state_get, character_state_mutate
from accounts.models import Character
from arena import rooms
from tests.client import Client, connected, session_cookie, unique
from tests.waits import state_set

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")


async def _to_lobby(server: str, *, attack: int = 10, cookie: str | None = None, **state):
    """A new player in the arena's lobby, with `attack` and `state` put in its hot state (and the
    status frame that change sends read, so that the next one read is the match's)."""
    client = await connected(server, cookie=cookie)
    name = await client.sign_up()
    character = await Character.objects.aget(name=name)
    await state_set(client, character.pk, attack=attack, **state)
    for line, expected in (("v", "village"), ("5", "Sir Shax"), ("2", "Trial Grounds")):
        await client.ask(line, expected)
    return client, name, character.pk


async def test_lobby_validation_and_names(game_server):
    client, _name, _cid = await _to_lobby(game_server)
    assert "Give the room a name" in (await client.ask("create", "Give"))["plain"]
    assert "Give the room a name" in (await client.ask("create " + "x" * 21, "Give"))["plain"]
    assert "no room called 'Nowhere'" in (await client.ask("join Nowhere", "no room"))["plain"]
    room = "Case" + unique("r")
    out = await client.ask(f"create {room}", "You enter")
    assert out["scene"] == "arena_room" and room in out["plain"]
    other, _n, _c = await _to_lobby(game_server)
    assert "already exists" in (await other.ask(f"create {room.lower()}", "already exists"))["plain"]
    listed = await other.ask("refresh", "Trial Grounds")
    assert room in listed["plain"] and "[1/6]" in listed["plain"]
    assert "(2/6)" in (await other.ask(f"join {room}", "You enter"))["plain"]  # leave and join again
    assert (await other.ask("return", "Trial Grounds"))["scene"] == "arena_lobby"
    assert "(2/6)" in (await other.ask(f"join {room}", "You enter"))["plain"]
    await other.ask("return", "Trial Grounds")
    out = await client.ask("return", "Trial Grounds")
    assert out["scene"] == "arena_lobby"
    assert room not in (await other.ask("re", "Trial Grounds"))["plain"]  # an empty room disappears
    out = await other.ask(f"create {room}", "You enter")  # and its name can be used again
    assert "(1/6)" in out["plain"]
    await other.ask("r", "Trial Grounds")
    for c in (client, other):
        await c.close()


async def test_a_whole_three_versus_three(game_server, game_server_2):
    room = "Arena" + unique("m")
    cookies = [session_cookie(game_server) for _ in range(6)]
    fighters = []
    for i in range(6):  # three on each web process
        fighters.append(await _to_lobby(game_server if i < 3 else game_server_2, attack=1000, cookie=cookies[i]))
    watcher, _wname, _wid = await _to_lobby(game_server_2)
    await fighters[0][0].ask(f"create {room}", "You enter")
    for client, _name, _cid in fighters[1:]:
        await client.ask(f"join {room}", "You enter")
    out = await watcher.ask(f"join {room}", "spectator")
    assert out["scene"] in ("arena_room", "arena_match")
    for client, _name, _cid in fighters:
        await client.until(lambda f: "The match begins!" in f["plain"], timeout=20)
    await watcher.until(lambda f: "The match begins!" in f["plain"], timeout=20)

    rid = rooms.room_id(room)
    _room, players, _spectators = await rooms.room_get(rid)
    team = {p["name"]: p["team"] for p in players}
    by_name = {name: (client, cid) for client, name, cid in fighters}
    a_names = [n for n in team if team[n] == "A"]
    b_names = [n for n in team if team[n] == "B"]
    attacker = by_name[a_names[0]][0]

    # every validation message, in GAME.md's order of checks
    assert "spectators cannot attack" in (await watcher.ask(f"{b_names[0]} attack", "spectators"))["plain"]
    assert "not an attack of yours" in (await attacker.ask(f"{b_names[0]} fireball", "not an attack"))["plain"]
    assert "no fighter called 'nobody'" in (await attacker.ask("nobody attack", "no fighter"))["plain"]
    assert "your own team" in (await attacker.ask(f"{a_names[1]} attack", "own team"))["plain"]
    assert "your own team" in (await attacker.ask(f"{a_names[0]} 기본공격", "own team"))["plain"]

    # a B fighter drops (disconnects) mid-match: still a target; coming back puts it in the match
    dropped_client, _dropped_id = by_name[b_names[2]]
    await dropped_client.close()
    hit = await attacker.ask(f"{b_names[0]} attack", "hits")
    assert "damage" in hit["plain"]
    seen = await watcher.until(lambda f: "hits" in f["plain"])  # the spectator sees every hit
    assert b_names[0] in seen["plain"]
    assert "cannot attack yet" in (await attacker.ask(f"{b_names[1]} attack", "cannot attack yet"))["plain"]
    fallen = by_name[b_names[0]][0]
    assert "fallen" in (await fallen.ask(f"{a_names[0]} attack", "fallen"))["plain"]  # the dead cannot attack
    assert "already fallen" in (await by_name[a_names[1]][0].ask(f"{b_names[0]} attack", "already fallen"))["plain"]
    back = await Client.connect(game_server, cookie=cookies[[n for _c, n, _i in fighters].index(b_names[2])])
    welcome = await back.welcome()
    assert welcome["scene"] == "arena_match"
    await by_name[a_names[1]][0].ask(f"{b_names[1]} attack", "hits")
    await by_name[a_names[2]][0].ask(f"{b_names[2]} attack", "hits")

    result = await watcher.until(lambda f: "wins" in f["plain"], timeout=10)
    assert "TEAM A wins" in result["plain"] and "50 exp" in result["plain"]
    home = await attacker.until(lambda f: f["scene"] == "village", timeout=20)  # fighters[0] may be the dropped one
    assert "return to the village" in home["plain"]
    await watcher.until(lambda f: f["scene"] == "village", timeout=20)
    winners = [await Character.objects.aget(name=n) for n in a_names]
    losers = [await Character.objects.aget(name=n) for n in b_names]
    assert all(c.arena_wins == 1 and c.arena_rating > 1000 and c.exp == 50 for c in winners)
    assert all(c.arena_losses == 1 and c.arena_rating < 1000 for c in losers)
    assert all(c.hp == c.max_hp for c in winners + losers)
    assert await rooms.room_of(winners[0].pk) is None
    await watcher.ask("g home", "where to?")
    assert room not in await _lobby_listing(watcher)  # the room is gone
    rank = await watcher.ask("rank", "ranking")  # the rankings' arena board, as the match left it
    assert f"{winners[0].name}  {winners[0].arena_rating}  (1 wins, 0 losses)" in rank["plain"], rank["plain"]
    out = await by_name[b_names[1]][0].ask("top arena", "You: #")  # past the match's frames
    assert re.search(rf"^You: #[\d,]+ of [\d,]+, rating {losers[1].arena_rating}$", out["plain"], re.M), out["plain"]
    for client in [c for c, _n, _i in fighters if c is not dropped_client] + [watcher, back]:
        await client.close()


async def _lobby_listing(client) -> str:
    for line, expected in (("v", "village"), ("5", "Sir Shax"), ("2", "Trial Grounds")):
        out = await client.ask(line, expected)
    return out["plain"]


# --- the rules of a match's end, written out here (GAME.md §3, §6), independently of the code


def _req(level: int) -> int:
    """REQ(L): the cumulative exp to leave level L (REQ(0) = 0)."""
    req, step = 0, 0
    for i in range(1, level + 1):
        step = 50 if i == 1 else step + 20 * (i // 5 + 1) ** 2
        req += step
    return req


def _level_for(exp: int, level: int) -> int:
    while exp >= _req(level):
        level += 1
    return level


def _elo(own: list[int], other: list[int], won: bool) -> int:
    """arena.rules' formula: K = 32 on the teams' mean ratings, rounded half up."""
    expected = 1 / (1 + 10 ** ((sum(other) / 3 - sum(own) / 3) / 400))
    return math.floor(32 * ((1 if won else 0) - expected) + 0.5)


SMASH_MULTIPLE = 180  # 강타, GAME.md §3


async def test_a_match_with_skills_spectators_status_and_its_settlement(game_server, game_server_2):
    """Levels 6..1 make team A 6, 3, 2 and team B 5, 4, 1 (snake order by level). A6 hits B1 with
    its skill at 0 MP, A3 and A2 finish B5 and B4: winners gain 50 × 10/3 = 166.67 -> 167 exp
    (banker's rounding of the mean gave 150), each fighter gets a status frame with the settled
    values, and the adventure log shows the records and the best rating."""
    room = "Rules" + unique("m")
    ratings = {6: 1000, 3: 1100, 2: 1300, 5: 900, 4: 1000, 1: 1200}
    best = {6: 1500, 3: 1100, 2: 1300, 5: 1000, 4: 1000, 1: 1200}
    attack = {6: 100, 3: 5000, 2: 5000, 5: 10, 4: 10, 1: 10}
    exp = {6: _req(5) + 7, 3: _req(2), 2: 100, 5: _req(4), 4: _req(3), 1: 0}  # A2 levels up with the reward
    fighters = {}  # level -> (client, name, cid)
    for i, level in enumerate((6, 5, 4, 3, 2, 1)):
        fighters[level] = await _to_lobby(
            game_server if i % 2 else game_server_2,
            attack=attack[level],
            level=level,
            exp=exp[level],
            hp=1,
            mp=0,
            max_hp=100 * level,
            max_mp=100 * level,
            defense=10 + level,
            arena_rating=ratings[level],
            arena_best_rating=best[level],
        )
    watchers = [await _to_lobby(game_server) for _ in range(5)]
    name = {level: fighter[1] for level, fighter in fighters.items()}

    creator = fighters[6][0]
    await creator.ask(f"create {room}", "You enter")
    for level in (5, 4, 3):
        await fighters[level][0].ask(f"join {room}", "You enter")
    out = await creator.ask("status", "Fighters")  # the room's status: who is in
    assert "[4/6]  [0/4]" in out["plain"] and out["scene"] == "arena_room"
    assert all(name[level] in out["plain"] for level in (6, 5, 4, 3))
    out = await creator.ask("dance", "dance")  # unknown input in the room
    assert "Unknown command 'dance'" in out["plain"] and "[H]elp" in out["plain"] and out["scene"] == "arena_room"
    for level in (2, 1):
        await fighters[level][0].ask(f"join {room}", "You enter")

    for watcher, _n, _c in watchers[:4]:  # the countdown has begun: newcomers watch
        assert (await watcher.ask(f"join {room}", "spectator"))["scene"] in ("arena_room", "arena_match")
    fifth = watchers[4][0]
    out = await fifth.ask(f"join {room}", "full")
    assert "The room is full (6 players and 4 spectators)" in out["plain"] and out["scene"] == "arena_lobby"
    assert await rooms.room_of(watchers[4][2]) is None
    assert "[6/6]   [4/4]" in (await fifth.ask("re", room))["plain"]  # the refused one can go on

    for client, _n, _c in fighters.values():
        await client.until(lambda f: "The match begins!" in f["plain"], timeout=20)
    _room, players, _spectators = await rooms.room_get(rooms.room_id(room))
    team = {p["name"]: p["team"] for p in players}
    assert [team[name[level]] for level in (6, 3, 2, 5, 4, 1)] == list("AAABBB")

    a6 = fighters[6][0]
    out = await a6.ask("dance", "dance")  # unknown input in the match
    assert "Unknown command 'dance'" in out["plain"] and "[H]elp" in out["plain"] and out["scene"] == "arena_match"
    out = await a6.ask("dance wildly", "not an attack")  # two words read as an attack that is none
    assert "'wildly' is not an attack of yours" in out["plain"] and "[H]elp" in out["plain"]
    # A skill as the attack: damage = floor(attack · 180/100 · r/100) − defense, r in 80..119, and no MP
    hit = await a6.ask(f"{name[1]} 강타", "hits")
    damage = int(re.search(r"for (\d+) damage", hit["plain"]).group(1))
    assert damage in {attack[6] * SMASH_MULTIPLE * r // 10_000 - (10 + 1) for r in range(80, 120)}
    assert damage not in {attack[6] * 100 * r // 10_000 - (10 + 1) for r in range(80, 120)}  # not a basic attack
    assert f"{name[1]} HP: 0/100" in hit["plain"]
    assert (await character_state_get(fighters[6][2]))["mp"] == 0
    table = await a6.ask("s", "TEAM")  # the match's status table
    rows = {line.split()[-1]: line.split()[:4] for line in table["plain"].splitlines() if line.strip()}
    assert rows[name[1]] == ["B", "1", "0", "0/100"] and rows[name[6]] == ["A", "6", str(damage), "600/600"]
    await fighters[3][0].ask(f"{name[5]} attack", "hits")
    await fighters[2][0].ask(f"{name[4]} smash", "hits")

    reward = (2 * 50 * (5 + 4 + 1) + 3) // 6  # 50 × 10/3, half up
    assert reward == 167
    team_a, team_b = [ratings[lv] for lv in (6, 3, 2)], [ratings[lv] for lv in (5, 4, 1)]
    for level, (client, char_name, cid) in fighters.items():
        won = level in (6, 3, 2)
        await client.until(lambda f: f"Winners gain {reward} exp" in f["plain"], timeout=10)
        status = await client.next("status", timeout=5)
        new_exp = exp[level] + (reward if won else 0)
        new_level = _level_for(new_exp, level)
        expected = {
            "name": char_name,
            "level": new_level,
            "exp": new_exp,
            "hp": 100 * new_level,
            "max_hp": 100 * new_level,
            "mp": 100 * new_level,
            "max_mp": 100 * new_level,
            "attack": 10 + new_level + 1 if new_level != level else attack[level],
        }
        assert {field: status["character"][field] for field in expected} == expected, level
        rating = ratings[level] + _elo(team_a if won else team_b, team_b if won else team_a, won)
        row = await Character.objects.aget(pk=cid)
        assert (row.arena_rating, row.arena_best_rating) == (rating, max(best[level], rating)), level
        assert (row.arena_wins, row.arena_losses) == ((1, 0) if won else (0, 1))
        assert (row.exp, row.level, row.hp) == (new_exp, new_level, 100 * new_level)
    assert _level_for(exp[2] + reward, 2) == 4  # the level-ups above were checked (REQ(3) = 210)

    for level in (2, 1):  # the adventure log: the records and the highest rating ever reached
        client = fighters[level][0]
        await client.until(lambda f: f["scene"] == "village", timeout=20)
        await client.ask("1", "Fradeiri")
        log = await client.ask("2", "Trial Grounds")
        won = level == 2
        rating = ratings[level] + _elo(team_a if won else team_b, team_b if won else team_a, won)
        record = f"{int(won)} wins, {int(not won)} losses, rating {rating} (best {max(best[level], rating)})"
        assert f"Trial Grounds: {record}" in log["plain"]
    for client, _n, _c in [*fighters.values(), *watchers]:
        await client.close()


async def test_the_village_skill_command(game_server):
    client, _name, cid = await _to_lobby(game_server)
    await client.ask("r", "village")
    out = await client.ask("k", "Skills")
    assert out["scene"] == "skills" and "1: Smash (100 MP)  2: -  3: -" in out["plain"]

    async def slots() -> tuple[int, int, int]:
        state = await character_state_get(cid)
        return state["skill_1"], state["skill_2"], state["skill_3"]

    assert "Flurry unlocks at level 10" in (await client.ask("2 2", "unlocks"))["plain"]  # locked
    for bad in ("4 1", "0 1", "1", "x y"):  # a bad slot or form: quoted, naming help
        out = await client.ask(bad, "You typed")
        assert f"You typed '{bad}'" in out["plain"] and "[H]elp" in out["plain"] and out["scene"] == "skills"
    assert "no skill #99" in (await client.ask("1 99", "no skill"))["plain"]
    assert await slots() == (1, 0, 0)  # nothing changed by the refusals

    await character_state_mutate(cid, lambda s: ({"level": 10}, None))
    assert "2: Flurry (200 MP)" in (await client.ask("2 2", "Equipped"))["plain"]
    assert await slots() == (1, 2, 0)
    assert "1: -  2: Flurry" in (await client.ask("1 0", "Equipped"))["plain"]  # empty a slot
    assert await slots() == (0, 2, 0)
    await client.ask("3 2", "Equipped")  # a skill sits in one slot only
    assert await slots() == (0, 0, 2)
    assert (await client.ask("b", "village"))["scene"] == "village"
    await client.close()
