"""Arena rooms in the real Redis: atomic joins and hits."""

import asyncio

import pytest

from arena import rooms

pytestmark = pytest.mark.usefixtures("live_db")


def _fighter(i: int, **extra) -> dict:
    return {
        "cid": 9_000_000 + i,
        "name": f"fighter{i}",
        "level": 1 + i,
        "team": "",
        "hp": 1000,
        "max_hp": 1000,
        "attack": 100,
        "defense": 10,
        "attacks": [["기본공격", "attack", 100]],
        "damage": 0,
        "ready_at": 0,
        **extra,
    }


async def _room(name: str, count: int = 6):
    for i in range(count):
        await rooms.room_join(name=name, character_id=9_000_000 + i, player=_fighter(i), create=i == 0)
    return rooms.room_id(name)


async def _cleanup(rid: str) -> None:
    await rooms.room_delete(rid, [9_000_000 + i for i in range(20)])


async def test_many_joins_at_once_never_overfill():
    name = "Crowded"
    await rooms.room_join(name=name, character_id=9_000_000, player=_fighter(0), create=True)
    joined = await asyncio.gather(
        *[
            rooms.room_join(name=name, character_id=9_000_000 + i, player=_fighter(i), create=False)
            for i in range(1, 15)
        ]
    )
    outcomes = [j.outcome for j in joined]
    assert outcomes.count("player") == 5 and outcomes.count("spectator") == 4 and outcomes.count("full") == 5
    assert sum(j.start for j in joined) == 1
    rid = rooms.room_id(name)
    _room_hash, players, spectators = await rooms.room_get(rid)
    assert len(players) == 6 and len(spectators) == 4
    await _cleanup(rid)


async def test_simultaneous_hits_on_one_target_all_land():
    rid = await _room("Brawl")
    players = await rooms.teams_assign(rid)
    team_a = [p for p in players if p["team"] == "A"]
    target = next(p for p in players if p["team"] == "B")
    hits = await asyncio.gather(
        *[
            rooms.match_attack(
                rid=rid, character_id=p["cid"], name=p["name"], target=target["name"], attack="attack", roll=100
            )
            for p in team_a
        ]
    )
    assert [h.outcome for h in hits] == ["hit"] * 3 and all(h.damage == 90 for h in hits)
    _room_hash, after, _spectators = await rooms.room_get(rid)
    assert next(p for p in after if p["name"] == target["name"])["hp"] == 1000 - 3 * 90
    await _cleanup(rid)


async def test_teams_are_balanced_by_level():
    rid = await _room("Fair")
    players = await rooms.teams_assign(rid)
    levels = {team: sum(p["level"] for p in players if p["team"] == team) for team in "AB"}
    assert sorted(p["team"] for p in players) == list("AAABBB") and abs(levels["A"] - levels["B"]) <= 1
    await _cleanup(rid)
