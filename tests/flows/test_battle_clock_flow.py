"""The auto-battle over the real daphne, Celery worker and beat, with the battles' clock moved forward
(tests/waits.py): the 8-hour offline cap, a newcomer's ten minutes with its retreats, deaths that
send the player to the healer, the retreat command, unknown input, and deleting an account in the
middle of an auto-battle or an arena match (GAME.md §1, §2, §5, §6)."""

import asyncio
import re
from collections import Counter

import pytest

from accounts.character_state import character_state_get
from accounts.models import Character
from arena import rooms
from battles.catalog import catalog_aget
from battles.engine import advance
from battles.services import DUE_KEY, battle_get
from mudserver.redis_client import get_async_redis
from tests.client import Client, session_cookie, unique
from tests.flows.test_arena_flow import _to_lobby
from tests.flows.test_battle_flow import _player, _set, _to_gate
from tests.waits import battle_clock_forward, battle_offline_wait, battle_past_cap

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")

CAP_MS = 8 * 3600 * 1000  # GAME.md §5
TEN_MINUTES_MS = 10 * 60 * 1000
COMPARED = ("level", "exp", "hp", "mp", "kills", "deaths", "attack")


async def _battle_until(character_id: int, predicate, timeout: float = 30):
    """The battle (read with its character in one round trip) once `predicate(loaded)` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        loaded = await asyncio.to_thread(battle_get, character_id)
        if predicate(loaded):
            return loaded
        assert loop.time() < deadline, f"the battle never got there: {loaded and loaded.battle}"
        await asyncio.sleep(0.2)


async def _scheduled(character_id: int) -> bool:
    return await get_async_redis().zscore(DUE_KEY, character_id) is not None


def _retreats_line(plain: str) -> int:
    return int(_summary_rows(plain)["Retreats"])


SUMMARY_ROW = re.compile(r"^  (Time fought|Fights|Kills|Exp|Levels|Deaths|Retreats) +(.+)$", re.M)
KILLS_ROW = re.compile(r"^ {6,}(.+) x(\d+)$", re.M)
TITLES = {0: "%s", 1: "[Elite] %s", 2: "[Boss] %s"}  # the feed's monster titles in English


def _summary_rows(plain: str) -> dict[str, str]:
    return dict(SUMMARY_ROW.findall(plain))


def _summary_kills(plain: str) -> dict[str, int]:
    return {name: int(count) for name, count in KILLS_ROW.findall(plain)}


def _expected_summary(events, fought_ms: int, content) -> tuple[dict[str, str], dict[str, int]]:
    """The away summary's rows and kills by monster, worked out from the engine's events."""
    kills = [e for e in events if e.kind == "kill"]
    exp = sum(e.value for e in kills)
    seconds = fought_ms // 1000
    rows = {
        "Time fought": f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
        "Fights": str(sum(e.kind == "spawn" for e in events)),
        "Kills": str(len(kills)),
        "Exp": f"+{exp} ({exp * 3_600_000 // fought_ms if fought_ms else 0} an hour)",
        "Levels": f"+{sum(e.kind == 'level' for e in events)}",
        "Deaths": str(sum(e.kind == "death" for e in events)),
        "Retreats": str(sum(e.kind == "retreat" for e in events)),
    }
    by_monster = Counter(e.ref for e in kills)
    names = {TITLES[content.monsters[m].kind] % content.monsters[m].name_en: n for m, n in by_monster.items()}
    return rows, names


async def _auto_offline(game_server):
    """A new character (level 1, default retreat) starts the auto-battle in dungeon 1 and leaves at
    once; returns its cookie, id, the battle before its first cycle and the battle once offline."""
    cookie = session_cookie(game_server)
    client, cid = await _player(game_server, cookie=cookie)
    await _to_gate(client)
    assert (await client.command("a"))["scene"] == "auto_battle"
    start = await asyncio.to_thread(battle_get, cid)
    await client.close()
    away = await battle_offline_wait(cid)
    # No kill, spawn or retreat can happen in a level-1 fight's first 2 s: whatever a cycle did
    # before the player left, everything the summary counts happened while away.
    assert away.num("offline_at") < 2000
    return cookie, cid, start, away


async def test_the_offline_chain_pauses_exactly_at_the_8_hour_cap_and_the_summary_says_so(game_server):
    cookie, cid, start, away = await _auto_offline(game_server)
    for hour in range(1, 8):  # hour by hour: the summary adds up many cycles' counts
        await battle_clock_forward(3_600_000)
        target = away.num("offline_at") + hour * 3_600_000
        await _battle_until(cid, lambda loaded, target=target: int(loaded.battle["t"]) >= target, timeout=60)
    await battle_past_cap(cid)
    await battle_clock_forward(60_000)  # a minute more: the chain stays where the cap stopped it
    cap_at = away.num("offline_at") + CAP_MS
    end = await _battle_until(cid, lambda loaded: int(loaded.battle["t"]) >= cap_at, timeout=60)
    assert int(end.battle["t"]) == cap_at and not await _scheduled(cid)
    replay = start.fight()
    content = (await catalog_aget()).content
    events = advance(replay, cap_at, content)
    assert {f: end.character[f] for f in COMPARED} == {f: getattr(replay, f) for f in COMPARED}
    assert replay.phase == "fighting" and replay.deaths == 0  # the retreats kept it alive for 8 hours

    again = await Client.connect(game_server, cookie=cookie)
    welcome = await again.welcome()
    assert welcome["scene"] == "auto_battle"
    plain = welcome["plain"]
    rows, kills = _expected_summary(events, CAP_MS, content)
    assert _summary_rows(plain) == rows and rows["Time fought"] == "8:00:00", plain
    assert _summary_kills(plain) == kills and len(kills) > 1, plain
    assert int(rows["Retreats"]) > 0 and int(rows["Levels"][1:]) > 0
    assert "Ended by: the 8-hour offline cap; the auto-battle paused there and goes on now." in plain
    assert await _scheduled(cid)  # back: the chain goes on
    await again.ask("s", "stop fighting")
    await again.close()


async def test_a_newcomer_left_ten_minutes_lives_and_the_summary_on_return_matches_the_engine(game_server):
    cookie, cid, start, away = await _auto_offline(game_server)
    await battle_clock_forward(TEN_MINUTES_MS)
    end = await _battle_until(cid, lambda loaded: int(loaded.battle["t"]) >= TEN_MINUTES_MS)
    content = (await catalog_aget()).content
    replay = start.fight()
    advance(replay, int(end.battle["t"]), content)
    assert {f: end.character[f] for f in COMPARED} == {f: getattr(replay, f) for f in COMPARED}
    assert end.character["hp"] > 0 and end.character["deaths"] == 0 and end.character["exp"] > 0

    again = await Client.connect(game_server, cookie=cookie)
    welcome = await again.welcome()
    later = await asyncio.to_thread(battle_get, cid)
    plain = welcome["plain"]
    assert welcome["scene"] == "auto_battle" and "While you were away" in plain
    assert "Ended by: your return; the auto-battle goes on." in plain
    # The summary was made at a battle time between the two reads; the time it shows (whole
    # seconds) narrows that down to a window, and what it counts is the engine's up to a cut in it.
    shown = _summary_rows(plain)
    hours, minutes, seconds = map(int, shown["Time fought"].split(":"))
    off = away.num("offline_at")
    low = max(int(end.battle["t"]), off + 1000 * (3600 * hours + 60 * minutes + seconds))
    high = min(int(later.battle["t"]), off + 1000 * (3600 * hours + 60 * minutes + seconds) + 999)
    assert low <= high, (low, high, shown)
    events = advance(start.fight(), high, content)
    cuts = [low] + [e.t for e in events if low < e.t <= high]
    made = [_expected_summary([e for e in events if e.t <= cut], cut - off, content) for cut in cuts]
    counted = [(rows | {"Time fought": "", "Exp": rows["Exp"].split()[0]}, kills) for rows, kills in made]
    told = (shown | {"Time fought": "", "Exp": shown["Exp"].split()[0]}, _summary_kills(plain))
    assert told in counted, (told, counted)
    exp = int(shown["Exp"].split()[0])
    per_hour = int(shown["Exp"].split()[1][1:])
    assert exp > 0 and exp * 3_600_000 // (high - off) <= per_hour <= exp * 3_600_000 // (low - off)
    assert int(shown["Deaths"]) == 0 and len(told[1]) >= 1
    await again.ask("s", "stop fighting")
    await again.close()


async def _weak_auto_battle(game_server, cookie=None):
    """A character at 1 hp that fights to the death (`auto retreat 0`) starts the auto-battle."""
    client, cid = await _player(game_server, cookie=cookie)
    await _to_gate(client)
    assert "fights to the death" in (await client.command("auto retreat 0"))["plain"]
    await _set(cid, hp=1)
    return client, cid


async def test_an_auto_battle_death_sends_the_player_to_the_healer(game_server):
    client, cid = await _weak_auto_battle(game_server)
    await client.command("a")
    death = await client.until(lambda f: "Knocked out!" in f["plain"])
    assert death["scene"] == "heal" and "Agnes" in death["plain"]
    state = await character_state_get(cid)
    assert state["hp"] == 0 and state["deaths"] == 1
    assert await asyncio.to_thread(battle_get, cid) is None and not await _scheduled(cid)
    out = await client.ask("2", "HP and MP are full")  # the healer, where the frame said
    assert out["scene"] == "heal"
    await client.close()


async def test_an_auto_battle_death_while_away_is_in_the_summary_and_ends_at_the_healer(game_server):
    cookie = session_cookie(game_server)
    client, cid = await _weak_auto_battle(game_server, cookie=cookie)
    await client.command("a")
    start = await asyncio.to_thread(battle_get, cid)
    await client.close()
    away = await battle_offline_wait(cid)
    dead = await _battle_until(cid, lambda loaded: loaded.battle["phase"] == "dead")
    replay = start.fight()
    events = advance(replay, int(dead.battle["t"]) + 60_000, (content := (await catalog_aget()).content))
    assert replay.phase == "dead" and replay.t == int(dead.battle["t"])  # the engine stops at the death
    rows, kills = _expected_summary(events, replay.t - away.num("offline_at"), content)
    again = await Client.connect(game_server, cookie=cookie)
    welcome = await again.welcome()
    plain = welcome["plain"]
    assert welcome["scene"] == "heal"
    assert "While you were away" in plain and "Ended by: you fell in battle." in plain
    assert _summary_rows(plain) == rows and rows["Deaths"] == "1", plain
    assert _summary_kills(plain) == kills
    assert "Agnes" in plain
    assert await asyncio.to_thread(battle_get, cid) is None
    await again.ask("2", "HP and MP are full")
    await again.close()


async def test_the_retreat_threshold_is_set_before_and_during_the_auto_battle(game_server):
    client, cid = await _player(game_server)
    assert (await client.command("d"))["scene"] == "dungeon"
    out = await client.command("auto retreat")
    assert "retreats below 30% of max HP" in out["plain"] and out["scene"] == "dungeon"
    out = await client.command("auto retreat 40")
    assert "retreats below 40% of max HP" in out["plain"]
    assert (await character_state_get(cid))["auto_retreat"] == 40
    for bad in ("91", "-1", "abc", "3.5", "٣", "1000000000000"):
        out = await client.command(f"auto retreat {bad}")
        assert "not a retreat threshold" in out["plain"] and "0 to 90" in out["plain"], bad
        assert out["scene"] == "dungeon"
    assert (await character_state_get(cid))["auto_retreat"] == 40
    out = await client.command("enter 1")
    assert "retreats below 40% of max HP" in out["plain"]  # the gate says what is set
    out = await client.command("자동 후퇴 0")
    assert out["scene"] == "dungeon_gate" and "fights to the death" in out["plain"]
    out = await client.command("A R 25")
    assert out["scene"] == "dungeon_gate" and (await character_state_get(cid))["auto_retreat"] == 25
    out = await client.command("a")
    assert out["scene"] == "auto_battle" and "retreats below 25% of max HP" in out["plain"]
    out = await client.ask("auto retreat 50", "retreats below 50%")
    assert out["scene"] == "auto_battle" and (await character_state_get(cid))["auto_retreat"] == 50
    await client.ask("s", "stop fighting")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while (await Character.objects.aget(pk=cid)).auto_retreat != 50:  # written behind
        assert loop.time() < deadline
        await asyncio.sleep(0.2)
    await client.close()


def _names_help(plain: str) -> bool:
    return "help" in plain.lower().replace("[h]", "h")


async def test_unknown_input_in_every_battle_scene_names_help_and_stays(game_server):
    client, cid = await _player(game_server)
    await _set(cid, hp=100_000, max_hp=100_000)  # outlives any monster for the whole test
    assert (await client.command("d"))["scene"] == "dungeon"
    lines = {
        "dungeon": ["zzz"],
        "dungeon_gate": ["zzz", "9"],
        "encounter": ["4", "zzz"],
        "manual_battle": ["4", "9", "0", "zzz"],
    }
    for line in lines["dungeon"]:
        out = await client.command(line)
        assert out["scene"] == "dungeon" and f"'{line}'" in out["plain"] and _names_help(out["plain"]), out
    await client.command("enter 1")
    for line in lines["dungeon_gate"]:
        out = await client.command(line)
        assert out["scene"] == "dungeon_gate" and f"'{line}'" in out["plain"] and _names_help(out["plain"]), out
    assert (await client.command("n"))["scene"] == "encounter"
    for line in lines["encounter"]:
        out = await client.ask(line, f"'{line}'")
        assert out["scene"] == "encounter" and _names_help(out["plain"]), out
    assert (await client.command("a"))["scene"] == "manual_battle"
    for line in lines["manual_battle"]:  # a skill slot that does not exist among them
        out = await client.ask(line, f"'{line}'")
        assert out["scene"] == "manual_battle" and "'help'" in out["plain"].split("\n")[0], out["plain"]
    await client.ask("s", "stop fighting")
    await client.command("enter 1")
    assert (await client.command("a"))["scene"] == "auto_battle"
    out = await client.ask("zzz", "'zzz'")
    assert out["scene"] == "auto_battle" and "'help'" in out["plain"].split("\n")[0]
    await client.ask("s", "stop fighting")
    await client.ask("g home", "where to?")
    await client.ask("v", "village")
    assert (await client.ask("skill", "Skills"))["scene"] == "skills"
    out = await client.ask("zzz", "'zzz'")
    assert out["scene"] == "skills" and _names_help(out["plain"])
    await client.close()


async def _delete_account(client: Client) -> None:
    await client.ask("g home", "where to?")
    out = await client.ask("delete", "for good")
    assert out["scene"] == "delete_confirm"
    await client.ask("secret12", "are deleted")


async def test_deleting_the_account_during_an_auto_battle_removes_the_battle(game_server):
    client, cid = await _player(game_server)
    await _to_gate(client)
    await client.command("a")
    await client.until(lambda f: "appears" in f["plain"] or "blow" in f["plain"])  # a cycle has run
    assert await _scheduled(cid)
    await _delete_account(client)
    assert not await Character.objects.filter(pk=cid).aexists()
    assert await asyncio.to_thread(battle_get, cid) is None and not await _scheduled(cid)
    await asyncio.sleep(3)  # dispatches and cycles run meanwhile: nothing brings it back
    assert not await _scheduled(cid)
    assert not await get_async_redis().exists(f"mud:bt:{cid}", f"mud:ch:{cid}")
    await client.close()


async def test_deleting_the_account_during_an_arena_match_drops_its_fighter_and_the_match_ends(game_server):
    room = "Gone" + unique("m")
    fighters = [await _to_lobby(game_server, attack=1000) for _ in range(6)]
    await fighters[0][0].ask(f"create {room}", "You enter")
    for client, _name, _cid in fighters[1:]:
        await client.ask(f"join {room}", "You enter")
    for client, _name, _cid in fighters:
        await client.until(lambda f: "The match begins!" in f["plain"], timeout=20)
    rid = rooms.room_id(room)
    _room, players, _spectators = await rooms.room_get(rid)
    team = {p["name"]: p["team"] for p in players}
    by_name = {name: (client, cid) for client, name, cid in fighters}
    a_names = sorted(n for n in team if team[n] == "A")
    b_names = sorted(n for n in team if team[n] == "B")

    gone_client, gone_id = by_name[b_names[2]]
    await _delete_account(gone_client)
    told = await by_name[a_names[0]][0].until(lambda f: "falls out of the match" in f["plain"])
    assert b_names[2] in told["plain"]
    assert await rooms.room_of(gone_id) is None
    out = await by_name[a_names[0]][0].ask(f"{b_names[2]} attack", "already fallen")  # no longer a target
    assert out["scene"] == "arena_match"
    await by_name[a_names[1]][0].ask(f"{b_names[0]} attack", "hits")
    await by_name[a_names[2]][0].ask(f"{b_names[1]} attack", "hits")
    result = await by_name[a_names[0]][0].until(lambda f: "wins" in f["plain"], timeout=10)
    assert "TEAM A wins" in result["plain"]
    for name in a_names:
        await by_name[name][0].until(lambda f: f["scene"] == "village", timeout=20)
    winners = [await Character.objects.aget(name=n) for n in a_names]
    assert all(c.arena_wins == 1 for c in winners)
    losers = [await Character.objects.aget(name=n) for n in b_names[:2]]
    assert all(c.arena_losses == 1 for c in losers)
    assert not await Character.objects.filter(pk=gone_id).aexists()
    assert not await get_async_redis().exists(f"mud:ch:{gone_id}", f"mud:pl:{gone_id}", rooms.at_key(gone_id))
    for client, _name, _cid in fighters:
        await client.close()
