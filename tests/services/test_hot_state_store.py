"""The hot-state store over the real Redis: each typed outcome, the writes a caller puts beside a
character's, and the many-characters mutate against concurrent single changes."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync

from accounts import character_state
from accounts.character_state import (
    DIRTY_KEY,
    RETRIES,
    Outcome,
    Read,
    Snapshot,
    Versioned,
    Write,
    character_state_ensure,
    character_state_get,
    character_state_mutate,
    character_state_mutate_sync,
    characters_mutate,
    characters_mutate_sync,
    state_key,
)
from accounts.models import Character, User
from battles import services
from mudserver.redis_client import get_redis
from tests.client import unique

pytestmark = pytest.mark.usefixtures("live_db")

T0 = 1_700_000_000_000


async def _loaded(**fields) -> int:
    name = unique("hs")
    user = await User.objects.acreate(username=name)
    character = await Character.objects.acreate(user=user, name=name, **fields)
    await character_state_ensure(character)
    get_redis().srem(DIRTY_KEY, character.pk)
    return character.pk


def _version(character_id: int) -> int:
    return int(get_redis().hget(state_key(character_id), "v") or 0)


async def test_each_outcome_of_a_many_characters_mutate():
    written, unchanged, contended = [await _loaded() for _ in range(3)]
    gone = 10**12
    interloper_writes = []

    def step(snapshot: Snapshot):
        cid = snapshot.character_id
        if cid == unchanged:
            return Write(), "nothing"
        if cid == contended:  # another writer gets in between every read and write
            character_state_mutate_sync(cid, lambda s: ({"kills": s["kills"] + 1}, None))
            interloper_writes.append(cid)
        return Write({"exp": snapshot.state["exp"] + 7}), snapshot.state["exp"] + 7

    before = {cid: _version(cid) for cid in (written, unchanged, contended)}
    mutated = await characters_mutate([written, unchanged, gone, contended], step)

    assert {cid: m.outcome for cid, m in mutated.items()} == {
        written: Outcome.WRITTEN,
        unchanged: Outcome.UNCHANGED,
        gone: Outcome.GONE,
        contended: Outcome.CONTENDED,
    }
    assert (mutated[written].result, mutated[written].changes) == (7, {"exp": 7})
    assert mutated[written].before.version == before[written]
    state = await character_state_get(written)
    assert state["exp"] == 7 and _version(written) == before[written] + 1
    assert _version(unchanged) == before[unchanged] and (await character_state_get(unchanged))["exp"] == 0
    state = await character_state_get(contended)
    assert (state["exp"], state["kills"]) == (0, RETRIES) and len(interloper_writes) == RETRIES
    dirty = get_redis().smismember(DIRTY_KEY, [written, unchanged, contended])
    assert dirty == [1, 0, 1]  # the contended one by its interloper's writes
    assert not get_redis().exists(state_key(gone))


async def test_a_single_mutate_of_a_character_without_hot_state_raises():
    with pytest.raises(LookupError):
        await character_state_mutate(10**12, lambda s: ({"exp": 1}, None))
    with pytest.raises(LookupError):
        character_state_mutate_sync(10**12, lambda s: ({"exp": 1}, None))


async def test_writes_beside_the_character_land_with_it_or_not_at_all():
    """A caller's versioned hash changed since it was read makes the whole write fail (the character's
    fields too); computed again, everything lands together: the hash, a plain field, a score."""
    cid = await _loaded()
    r = get_redis()
    own, plain, schedule = f"test:own:{cid}", f"test:plain:{cid}", f"test:sched:{cid}"
    r.hset(own, mapping={"x": 1, "v": 5})
    seen = []

    def step(snapshot: Snapshot):
        (own_hash,) = snapshot.beside
        seen.append(own_hash["x"])
        if len(seen) == 1:
            r.hset(own, mapping={"x": 2, "v": 6})  # the caller's hash moves on between read and write
        write = Write({"hp": 1})
        write.beside.append(Versioned(own, own_hash.get("v", "0"), {"x": int(own_hash["x"]) + 10}))
        write.fields.append((plain, {"scene": "heal"}))
        write.scores.append((schedule, cid, 1234))
        return write, None

    mutated = await characters_mutate([cid], step, reads=(Read(lambda i: f"test:own:{i}"),))
    assert mutated[cid].outcome is Outcome.WRITTEN and seen == ["1", "2"]
    assert r.hgetall(own) == {"x": "12", "v": "7"}
    assert r.hget(plain, "scene") == "heal" and r.zscore(schedule, cid) == 1234
    assert (await character_state_get(cid))["hp"] == 1

    def delete(snapshot: Snapshot):
        (own_hash,) = snapshot.beside
        return Write(beside=[Versioned(own, own_hash["v"], delete=True)], scores=[(schedule, cid, None)]), None

    assert (
        characters_mutate_sync([cid], delete, reads=(Read(lambda i: f"test:own:{i}"),))[cid].outcome is Outcome.WRITTEN
    )
    assert not r.exists(own) and r.zscore(schedule, cid) is None
    r.delete(plain)


async def test_a_many_characters_mutate_and_single_commands_at_once_lose_no_update():
    """A worker's batched rounds (in its own thread, blocking face) and village commands (async
    face) on the same characters at the same moment: every change of both lands."""
    ids = [await _loaded() for _ in range(6)]
    rounds, commands = 25, 15

    def worker():
        for _ in range(rounds):
            pending = ids
            while pending:  # a character contended in every retry is tried again, as the next cycle would
                mutated = characters_mutate_sync(
                    pending, lambda snap: (Write({"kills": snap.state["kills"] + 1}), None)
                )
                pending = [cid for cid, m in mutated.items() if m.outcome is Outcome.CONTENDED]

    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.gather(
        *[character_state_mutate(cid, lambda s: ({"exp": s["exp"] + 5}, None)) for cid in ids for _ in range(commands)]
    )
    await asyncio.to_thread(thread.join)
    for cid in ids:
        state = await character_state_get(cid)
        assert (state["kills"], state["exp"]) == (rounds, 5 * commands)


def test_a_battle_cycle_over_many_characters_keeps_the_village_changes_made_meanwhile(monkeypatch):
    """Village enhancements land on two of four battling characters between the cycle's read and its
    write: the cycle computes those two again and every change is kept."""
    ids = []
    for _ in range(4):
        name = unique("hb")
        user = User.objects.create(username=name)
        character = Character.objects.create(user=user, name=name, weapon_level=1000, attack=1011)
        async_to_sync(character_state_ensure)(character)
        assert services.battle_start(character.pk, dungeon=1, mode="auto", now=T0).ok
        ids.append(character.pk)
    enhanced = ids[1::2]
    real_snapshots = character_state._snapshots
    cycle_reads = []

    def read_then_enhance(character_ids, reads, replies):
        snapshots = real_snapshots(character_ids, reads, replies)
        if reads:  # the cycle's read (a village change reads nothing beside the character)
            cycle_reads.append(list(character_ids))
            if len(cycle_reads) == 1:
                for cid in enhanced:
                    character_state_mutate_sync(cid, lambda s: ({"weapon_level": 999, "attack": 1010}, None))
        return snapshots

    monkeypatch.setattr(character_state, "_snapshots", read_then_enhance)
    report = services.battles_cycle([(cid, T0 + 1000) for cid in ids], now=T0 + 5000)
    monkeypatch.undo()

    assert cycle_reads == [ids, enhanced]  # the others were written at once; these two computed again
    assert sorted(item.character_id for item, _change in report.advanced) == sorted(ids)
    for cid in ids:
        state = get_redis().hgetall(state_key(cid))
        assert int(state["kills"]) > 0
        assert state["weapon_level"] == ("999" if cid in enhanced else "1000")
        services.battle_stop(cid, now=T0 + 5000)


async def test_a_mutate_over_more_characters_than_a_script_holds_writes_each_in_scripts_of_bounded_size(monkeypatch):
    """Redis runs one script at a time: a many-characters mutate goes in scripts of at most
    SCRIPT_CHARACTERS characters, and every character's own change lands, in the order asked."""
    monkeypatch.setattr(character_state, "SCRIPT_CHARACTERS", 4)
    ids = [await _loaded() for _ in range(4 * 2 + 3)]  # two full scripts and a part
    sizes = {"read": [], "write": []}
    read_call, write_call = character_state._read_call, character_state._write_call

    def read_counted(character_ids, reads):
        sizes["read"].append(len(character_ids))
        return read_call(character_ids, reads)

    def write_counted(writes):
        sizes["write"].append(len(writes))
        return write_call(writes)

    monkeypatch.setattr(character_state, "_read_call", read_counted)
    monkeypatch.setattr(character_state, "_write_call", write_counted)
    mutated = await characters_mutate(ids, lambda snapshot: (Write({"exp": snapshot.character_id % 1000}), None))
    assert [mutated[cid].outcome for cid in ids] == [Outcome.WRITTEN] * len(ids)
    assert sizes == {"read": [4, 4, 3], "write": [4, 4, 3]}
    for cid in ids:
        assert (await character_state_get(cid))["exp"] == cid % 1000
    read = await character_state.characters_read(ids)
    assert [read[cid].state["exp"] for cid in ids] == [cid % 1000 for cid in ids]
    assert sizes["read"][-3:] == [4, 4, 3]
