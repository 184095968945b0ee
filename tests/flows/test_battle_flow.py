"""Dungeons, manual fights and the auto-battle over a real WebSocket, with the real Celery worker
and beat advancing the battles (GAME.md §2, §4, §5)."""

import asyncio
import itertools
import re

import pytest

from accounts.character_state import character_state_get, character_state_mutate
from accounts.models import Character
from tests.client import Client, connected, session_cookie
from tests.waits import battle_frozen_wait, worker_killed_mid_cycle

pytestmark = pytest.mark.usefixtures("live_db", "celery_worker")

STRONG_WEAPON = 1000  # the top of GAME.md's range: one blow (at least 808) kills anything in dungeon 1


async def _player(game_server, **kwargs):
    client = await connected(game_server, **kwargs)
    name = await client.sign_up()
    return client, (await Character.objects.aget(name=name)).pk


async def _set(character_id: int, **changes) -> None:
    await character_state_mutate(character_id, lambda state: (changes, None))


async def _make_strong(character_id: int) -> None:
    await _set(character_id, weapon_level=STRONG_WEAPON, attack=11 + STRONG_WEAPON)


async def _to_gate(client, dungeon: int = 1) -> None:
    assert (await client.command("d"))["scene"] == "dungeon"
    assert (await client.command(f"enter {dungeon}"))["scene"] == "dungeon_gate"


async def test_dungeon_list_gate_and_warnings(game_server):
    client, _cid = await _player(game_server)
    out = await client.command("D")
    assert out["scene"] == "dungeon" and "Alby Dungeon" in out["plain"] and "Squirrel" in out["plain"]
    for bad in ("enter", "enter 9", "e x"):
        out = await client.command(bad)
        assert out["scene"] == "dungeon" and "Which dungeon?" in out["plain"]
    out = await client.command("입장 5")
    assert out["scene"] == "dungeon_gate" and "far above your level" in out["plain"]
    assert (await client.command("b"))["scene"] == "dungeon"
    out = await client.command("e 1")
    assert "far above" not in out["plain"] and "[N]ormal" in out["plain"]
    assert (await client.command("back"))["scene"] == "dungeon"
    assert (await client.command("b"))["scene"] == "front"
    await client.close()


async def test_manual_fight_to_a_kill(game_server):
    client, cid = await _player(game_server)
    await _make_strong(cid)
    await _to_gate(client)
    out = await client.command("n")
    assert out["scene"] == "encounter" and "[A]ttack" in out["plain"]
    out = await client.command("a")
    assert out["scene"] == "manual_battle" and "every 1.5 seconds" in out["plain"]
    kill = await client.until(lambda f: "falls!" in f["plain"])
    assert kill["scene"] == "encounter" and "[A]ttack" in kill["plain"]
    state = await character_state_get(cid)
    assert state["kills"] == 1 and state["exp"] >= 10
    out = await client.ask("r", "ran away")
    assert out["scene"] == "dungeon"
    await client.close()


async def test_manual_fight_to_a_death_and_the_healer(game_server):
    client, cid = await _player(game_server)
    await _set(cid, hp=1)
    await _to_gate(client)
    await client.command("n")
    await client.command("attack")
    death = await client.until(lambda f: "Knocked out!" in f["plain"])
    assert death["scene"] == "heal" and "Agnes" in death["plain"]
    state = await character_state_get(cid)
    assert state["hp"] == 0 and state["deaths"] == 1
    out = await client.ask("2", "HP and MP are full")
    assert out["scene"] == "heal"
    await client.close()


async def test_skills_and_their_cooldown(game_server):
    client, cid = await _player(game_server)
    await _set(cid, hp=1000, max_hp=1000)  # outlives an elite monster for the whole test
    await _to_gate(client)
    await client.command("n")
    out = await client.command("1")
    assert out["scene"] == "encounter" and "nothing to strike" in out["plain"]
    await client.command("a")
    await client.ask("1", "Smash!")
    await client.until(lambda f: f["character"]["mp"] == 0, kind="status")
    out = await client.ask("1", "not ready yet")
    assert "s left" in out["plain"]
    await asyncio.sleep(1.6)
    await client.ask("1", "Not enough MP")
    await asyncio.sleep(1.6)
    await client.ask("3", "Slot 3 is empty")
    out = await client.ask("what now", "'what now' is not a fight command")
    assert out["scene"] == "manual_battle" and "stop the fight" in out["plain"]
    out = await client.ask("s", "You stop fighting")
    assert out["scene"] == "dungeon"
    await client.close()


async def test_auto_battle_streams_live_events_and_gains_exp(game_server):
    client, cid = await _player(game_server)
    await _make_strong(cid)
    await _to_gate(client)
    out = await client.command("a")
    assert out["scene"] == "auto_battle" and "Auto-battle in" in out["plain"]
    feed = await client.until(lambda f: "falls!" in f["plain"])
    assert feed["scene"] == "auto_battle"
    status = await client.until(lambda f: f["character"]["exp"] > 0, kind="status")
    assert status["character"]["exp"] > 0
    out = await client.ask("zzz", "not a fight command")  # unknown input keeps the fight
    assert out["scene"] == "auto_battle"
    out = await client.ask("S", "stop fighting")
    assert out["scene"] == "dungeon"
    assert (await character_state_get(cid))["exp"] > 0  # the write-behind saves it (test_write_behind)
    await client.close()


async def test_auto_battle_goes_on_offline_and_the_summary_matches_the_database(game_server):
    cookie = session_cookie(game_server)
    client, cid = await _player(game_server, cookie=cookie)
    await _make_strong(cid)
    await _to_gate(client)
    await client.command("a")
    await client.close()  # at once: every fight happens while away
    await battle_frozen_wait(cid)  # the clock jumps past the 8-hour cap, where the chain pauses
    row = await Character.objects.aget(pk=cid)
    assert row.kills > 0
    again = await Client.connect(game_server, cookie=cookie)
    welcome = await again.welcome()
    assert welcome["scene"] == "auto_battle"
    plain = welcome["plain"]
    assert re.search(rf"^  Kills +{row.kills}$", plain, re.M) and re.search(rf"^  Exp +\+{row.exp} ", plain, re.M), (
        plain
    )
    await again.ask("s", "stop fighting")
    await again.close()


async def test_sign_in_while_the_chain_runs_shows_the_summary_and_the_fight(game_server):
    client, cid = await _player(game_server)
    name = (await Character.objects.aget(pk=cid)).name
    await _make_strong(cid)
    await _to_gate(client)
    await client.command("a")
    await client.ask("g out", "signed out")  # signing out leaves the chain running
    await asyncio.sleep(1.5)
    out = await client.sign_in(name)
    assert out["scene"] == "auto_battle" and "While you were away" in out["plain"]
    await client.ask("stop", "stop fighting")
    await client.close()


async def test_a_reconnect_while_the_chain_runs_resumes_the_scene_the_player_was_in(game_server):
    """GAME.md §1: a dropped connection (a reload, a web process restarting) resumes the scene it
    was in; the chain that goes on meanwhile does not pull a player in the village into the fight."""
    from battles.services import battle_get

    cookie = session_cookie(game_server)
    client, cid = await _player(game_server, cookie=cookie)
    await _make_strong(cid)
    await _to_gate(client)
    await client.command("a")
    await client.ask("g home", "where to?")  # the chain goes on
    assert (await client.command("v"))["scene"] == "village"
    await client.close()
    again = await Client.connect(game_server, cookie=cookie)
    assert (await again.welcome())["scene"] == "village"
    assert (await asyncio.to_thread(battle_get, cid)).battle["mode"] == "auto"  # still running
    await again.close()


async def test_two_players_auto_battle_at_once(game_server):
    (a, a_id), (b, b_id) = await asyncio.gather(_player(game_server), _player(game_server))
    await asyncio.gather(_make_strong(a_id), _make_strong(b_id))
    await asyncio.gather(_to_gate(a), _to_gate(b, 2))
    await asyncio.gather(a.command("a"), b.command("a"))
    feeds = await asyncio.gather(a.until(lambda f: "falls!" in f["plain"]), b.until(lambda f: "falls!" in f["plain"]))
    assert all(feed["scene"] == "auto_battle" for feed in feeds)
    await asyncio.gather(a.ask("s", "stop fighting"), b.ask("s", "stop fighting"))
    states = [await character_state_get(i) for i in (a_id, b_id)]
    assert all(state["kills"] > 0 for state in states)
    await a.close()
    await b.close()


def _exp_to_reach(level: int) -> int:
    """GAME.md §3: REQ(1) = 50, e_1 = 50, e_i = e_(i-1) + 20·floor(i/5 + 1)², REQ(i) = REQ(i-1) + e_i;
    reaching `level` takes REQ(level - 1)."""
    req = step = 50
    for i in range(2, level):
        step += 20 * (i // 5 + 1) ** 2
        req += step
    return req


async def _just_after_a_cycle(character_id: int, timeout: float = 10):
    """The battle and its character (read together) right after a cycle wrote them: the next cycle
    is a period (1 s) away."""
    from battles.services import battle_get

    seen = (await asyncio.to_thread(battle_get, character_id)).battle["v"]
    deadline = asyncio.get_running_loop().time() + timeout
    while (now := await asyncio.to_thread(battle_get, character_id)).battle["v"] == seen:
        assert asyncio.get_running_loop().time() < deadline, "no cycle ran"
        await asyncio.sleep(0.01)
    return now


async def test_enhancing_during_an_auto_battle_keeps_both_changes(game_server):
    """Enhance at the blacksmith while the auto-battle goes on. Each attempt costs exactly what
    GAME.md §2 says (success: 10·w exp, w + 1, attack 10 + level + w; failure: 10 exp, nothing
    else), and the battle's own changes are all kept beside them: the end equals the rules engine
    replayed over the same battle time, with each enhancement applied where it took effect."""
    from battles.catalog import catalog_aget
    from battles.engine import CHARACTER_FIELDS, advance
    from battles.services import battle_get

    client, cid = await _player(game_server)
    # Level 100 levels up no more, so the fight does not depend on exp; a success's attack changes
    # its course from the moment it took effect. Weapon level 15: a 58 % chance, so both outcomes come.
    weapon = 15
    await _set(
        cid,
        level=100,
        exp=_exp_to_reach(100) + 100_000,
        hp=10_000,
        max_hp=10_000,
        mp=10_000,
        max_mp=10_000,
        defense=110,
        weapon_level=weapon,
        attack=10 + 100 + weapon,
    )
    await _to_gate(client)
    await client.command("a")
    await client.ask("g home", "where to?")  # the chain goes on
    await client.ask("v", "The village")
    await client.ask("3", "Fergus")
    start = None
    steps = []  # (outcome, the battle times it may have taken effect at, its changes)
    while {"success", "failure"} - {outcome for outcome, *_rest in steps} and len(steps) < 40:
        before = await _just_after_a_cycle(cid)
        start = start or before
        out = await client.ask("2", "Enhancement")
        after = await asyncio.to_thread(battle_get, cid)
        outcome = "success" if "succeeded" in out["plain"] else "failure"
        cost = 10 * weapon if outcome == "success" else 10
        assert f"(-{cost} exp" in out["plain"], (weapon, out["plain"])
        weapon += outcome == "success"
        assert (after.character["weapon_level"], after.character["attack"]) == (weapon, 10 + 100 + weapon)
        cycles = int(after.battle["v"]) - int(before.battle["v"])
        if cycles == 0:  # it took effect between two cycles, and changed only what it should
            expected = dict(
                before.character,
                exp=before.character["exp"] - cost,
                weapon_level=weapon,
                attack=10 + 100 + weapon,
                v=before.character["v"] + 1,
            )
            assert after.character == expected
        assert cycles <= 1, "the machine is too slow: more than a cycle ran during one enhancement"
        times = {int(before.battle["t"]), int(after.battle["t"])}
        steps.append((outcome, sorted(times), {"exp": -cost, "weapon_level": weapon, "attack": 10 + 100 + weapon}))
    end = await asyncio.to_thread(battle_get, cid)
    await client.ask("g home", "where to?")
    out = await client.ask("d", "Auto-battle in")  # back to the running fight
    assert out["scene"] == "auto_battle"
    await client.ask("s", "stop fighting")
    await client.close()

    assert {outcome for outcome, *_rest in steps} == {"success", "failure"}, steps
    content = (await catalog_aget()).content
    actual = {name: end.character[name] for name in CHARACTER_FIELDS}
    # A failure changes only exp, which the fight does not read: where it took effect does not
    # matter. A success that a cycle overlapped took effect at one of two battle times: try both.
    choices = itertools.product(*[times if outcome == "success" else times[:1] for outcome, times, _c in steps])
    replays = []
    for chosen in choices:
        replay = start.fight()
        for at, (_outcome, _times, changes) in zip(chosen, steps, strict=True):
            advance(replay, at, content)
            replay.exp += changes["exp"]
            replay.weapon_level, replay.attack = changes["weapon_level"], changes["attack"]
        advance(replay, int(end.battle["t"]), content)
        replays.append({name: getattr(replay, name) for name in CHARACTER_FIELDS})
    assert actual in replays, (actual, replays[0], steps)
    assert actual["kills"] > start.character["kills"] and actual["weapon_level"] == weapon


async def test_a_worker_killed_mid_run_loses_nothing_and_rewards_nothing_twice(game_server, celery_worker):
    """Kill the worker (SIGKILL, pool and beat) while a cycle of a running chain is in progress,
    start another, and let the chain run on offline to its cap: the frozen result must equal the
    rules engine replayed over the same battle time, past the cycle that was cut short."""
    from battles.catalog import catalog_aget
    from battles.engine import advance
    from battles.services import battle_get

    client, cid = await _player(game_server)
    await _make_strong(cid)
    await _to_gate(client)
    await client.command("a")
    start = await asyncio.to_thread(battle_get, cid)  # before the first cycle (due 1 s later)
    await client.until(lambda f: "falls!" in f["plain"])  # a cycle or so in
    for _attempt in range(3):  # online, the chain has no cap: another cycle comes if the kill was late
        cut_short = await asyncio.to_thread(worker_killed_mid_cycle, celery_worker.kill, [cid])
        celery_worker.start()
        if cut_short:
            break
    assert cut_short, "each time, the cycle wrote before the kill landed"
    await client.close()  # the chain goes on offline, to its cap (3 s of battle time in the test settings)
    await battle_frozen_wait(cid)
    end = await asyncio.to_thread(battle_get, cid)
    assert int(end.battle["t"]) > cut_short[cid]["t"]  # the cycle that was cut short ran again
    replay = start.fight()
    advance(replay, int(end.battle["t"]), (await catalog_aget()).content)
    state = await character_state_get(cid)
    for field in ("exp", "kills", "level", "hp", "mp", "attack", "deaths"):
        assert state[field] == getattr(replay, field), field
    assert int(end.battle["monster_hp"]) == replay.monster_hp and state["kills"] > 0
