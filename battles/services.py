"""Battles in Redis: start, attack, skills, stop, offline catch-up and the workers' cycles.

A battle is the hash `mud:bt:<character id>` beside the character's hot state, which
accounts.character_state owns. Every change goes through that store's mutate: it reads the
character with the battle and the player's scene, runs the rules engine, and writes both back
(the battle as a versioned hash of its own, the schedule and the scene beside the character) in
one compare-and-set that checks both versions: a village command or another cycle that changed
either meanwhile makes the write fail, and the change is computed again from fresh state
(invariant 3). Battle time is
wall time since `origin`, so a cycle delivered twice, or late, finds nothing left to do and
rewards nothing twice (invariant 4). Functions here are blocking: the consumer runs them in a
thread, the Celery worker directly.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from django.conf import settings

from accounts.character_state import Outcome as Written
from accounts.character_state import (
    Read,
    Snapshot,
    State,
    Versioned,
    Write,
    characters_mutate_sync,
    characters_read,
    characters_read_sync,
)
from battles.catalog import catalog_get
from battles.engine import CHARACTER_FIELDS, Event, Fight, advance, attack_start, fight_new, skill_use
from mudserver import metrics
from mudserver.clock import now_ms
from mudserver.percentiles import percentile
from mudserver.redis_client import get_redis
from mudserver.scene_store import player_key

DUE_KEY = "mud:bt:due"
SKILL_COOLDOWN_MS = 1500
FIGHT_FIELDS = (
    "mode",
    "phase",
    "dungeon",
    "seed",
    "t",
    "next_exchange",
    "next_skill",
    "armor_until",
    "monster",
    "monster_hp",
    "rest_until",
)
AWAY_FIELDS = ("away_fights", "away_kills", "away_exp", "away_levels", "away_deaths", "away_retreats")
# Kills while away by monster, a field each ("away_k:<monster id>", written with the other counts:
# adding to one costs no parsing), and what ended or paused the chain while away, written when it happens.
AWAY_KILLS_PREFIX = "away_k:"
AWAY_END = "away_end"
AWAY_RESET = {**dict.fromkeys(AWAY_FIELDS, 0), AWAY_END: ""}


class AwayEnd(enum.StrEnum):
    """What ended the offline chain (or, when neither happened, the player's return)."""

    DEATH = "death"
    CAP = "cap"
    RETURN = "return"


TEXT_FIELDS = ("mode", "phase")
PLAYER_FIELDS = ("scene", "lang", "name", "channel")


class Refusal(enum.Enum):
    """Why a command changed nothing."""

    NONE = "none"  # no battle (or not a manual one)
    ALREADY = "already"
    DEAD = "dead"
    BUSY = "busy"  # the exchange is under way
    NOT_FIGHTING = "not_fighting"
    COOLDOWN = "cooldown"  # the skill is not ready: Outcome.wait_ms says for how long
    EMPTY = "empty"  # no skill in that slot
    NO_MP = "no_mp"


def battle_key(character_id: int) -> str:
    return f"mud:bt:{character_id}"


BATTLE_SCENES = ("auto_battle", "manual_battle", "encounter")


def cycle_ms(*, watched: bool, online: bool = True) -> int:
    """How often an auto-battle is advanced: each second while its player watches, less often while
    they are connected elsewhere, and seldom once they left: nobody sees an absent player's fight,
    and the battle is a pure function of its start, seed and elapsed time (DESIGN.md invariant 4),
    so a return catches it up to the second whatever the cadence. Its progress still reaches the
    character (a `look`, the rankings, the database) within a period."""
    key = (
        "BATTLE_CYCLE_SECONDS" if watched else "BATTLE_IDLE_CYCLE_SECONDS" if online else "BATTLE_OFFLINE_CYCLE_SECONDS"
    )
    return int(settings.GAME[key] * 1000)


def offline_cap_ms() -> int:
    return int(settings.GAME["OFFLINE_CAP_SECONDS"] * 1000)


@dataclass
class Loaded:
    """A battle and its character as read from Redis, with their versions."""

    character_id: int
    battle: dict[str, str]
    character: State
    scene: str
    lang: str
    name: str
    channel: str  # the player's connection, when signed in: its feed goes to that web process

    @property
    def exists(self) -> bool:
        return bool(self.battle)

    @property
    def online(self) -> bool:
        return self.num("offline_at") < 0

    @property
    def watched(self) -> bool:
        """The player is connected and looking at the fight."""
        return self.online and self.scene in BATTLE_SCENES

    @classmethod
    def of(cls, snapshot: Snapshot) -> Loaded:
        battle, (scene, lang, name, channel) = snapshot.beside
        return cls(snapshot.character_id, battle, snapshot.state, scene or "", lang or "ko", name or "", channel or "")

    def num(self, name: str) -> int:
        return int(self.battle.get(name, 0))

    def fight(self) -> Fight:
        # A field added since the battle started (rest_until) reads as 0.
        values = {name: self.battle[name] if name in TEXT_FIELDS else self.num(name) for name in FIGHT_FIELDS}
        c = self.character
        return Fight(
            **values, **{name: c[name] for name in CHARACTER_FIELDS}, skills=(c["skill_1"], c["skill_2"], c["skill_3"])
        )

    def target(self, now: int) -> int:
        """The battle time to reach now: wall time since origin, capped 8 hours after going offline."""
        target = now - self.num("origin")
        offline_at = self.num("offline_at")
        return min(target, offline_at + offline_cap_ms()) if offline_at >= 0 else target

    def capped(self, now: int) -> bool:
        """Offline and past the offline cap: the chain pauses there."""
        offline_at = self.num("offline_at")
        return offline_at >= 0 and now - self.num("origin") >= offline_at + offline_cap_ms()


@dataclass
class Change:
    """What one step did: the events, and what to write."""

    fight: Fight | None
    events: list[Event] = field(default_factory=list)
    battle: dict[str, int | str] = field(default_factory=dict)
    due: str = ""  # a score, "" to leave the schedule, "del" to delete the battle
    scene: str = ""
    error: Refusal | None = None
    wait_ms: int = 0
    summary: Summary | None = None


@dataclass
class Summary:
    """What happened while the player was away."""

    away: bool
    counts: dict[str, int]
    kills_by: dict[int, int]  # monster id -> kills
    fought_ms: int  # battle time fought while away (at most the offline cap)
    end: AwayEnd
    dungeon: int

    @property
    def exp_per_hour(self) -> int:
        return self.counts["away_exp"] * 3_600_000 // self.fought_ms if self.fought_ms > 0 else 0


def _kills_by(battle: dict) -> dict[int, int]:
    prefix = len(AWAY_KILLS_PREFIX)
    kills = {int(name[prefix:]): int(n) for name, n in battle.items() if name.startswith(AWAY_KILLS_PREFIX)}
    return {monster: n for monster, n in kills.items() if n}


# Read with each character: its battle, and the player's scene, language, name and connection.
_READS = (Read(battle_key), Read(player_key, PLAYER_FIELDS))


def _write(item: Loaded, change: Change) -> Write:
    """The store's write for a change: the character's changed fields, and beside them the battle
    (its own version checked too), its place in the schedule and the player's scene."""
    cid, fight, character = item.character_id, change.fight, item.character
    if fight is None:
        changes, battle = {}, dict(change.battle)
    else:
        values = vars(fight)
        changes = {name: values[name] for name in CHARACTER_FIELDS if values[name] != character[name]}
        # Only what changed: the battle's version, checked with the character's, says the rest stands.
        read = item.battle
        battle = {name: values[name] for name in FIGHT_FIELDS if str(values[name]) != read.get(name)}
        battle.update(change.battle)
    version, player = item.battle.get("v", "0"), player_key(cid)
    # A connected player's scene is their connection's to write: a cycle's move reaches it as an event
    # (battles.tasks), a command's with its reply. Only an absent player's is written here.
    scenes = [(player, {"scene": change.scene, "data": "{}"})] if change.scene and not item.online else []
    if change.due == "del":
        return Write(changes, [Versioned(battle_key(cid), version, delete=True)], scenes, [(DUE_KEY, cid, None)])
    schedule = [(DUE_KEY, cid, int(change.due) if change.due else None)]
    renew = settings.GAME["PLAYER_IDLE_SECONDS"]
    return Write(changes, [Versioned(battle_key(cid), version, battle)], scenes, schedule, renew, [player])


def _apply(character_ids: list[int], step) -> tuple[dict[int, tuple[Loaded, Change]], list[int]]:
    """Run `step(loaded) -> Change | None` through the store for each battle; return the changes
    made (or refused) and the characters that have no hot state."""

    def plan(snapshot: Snapshot):
        item = Loaded.of(snapshot)
        change = step(item)
        if change is None:
            return None
        return (None if change.error else _write(item, change)), (item, change)

    mutated = characters_mutate_sync(character_ids, plan, reads=_READS)
    done = {cid: m.result for cid, m in mutated.items() if m.outcome in (Written.WRITTEN, Written.UNCHANGED)}
    return done, [cid for cid, m in mutated.items() if m.outcome is Written.GONE]


def _apply_one(character_id: int, step) -> tuple[Loaded, Change] | None:
    return _apply([character_id], step)[0].get(character_id)


def _count_away(item: Loaded, events: list[Event], battle: dict) -> None:
    """While the player is offline, what happens is added up for the summary on return."""
    if item.online:
        return
    counts, kills_by = _tally(events)
    for name in AWAY_FIELDS:
        battle[name] = item.num(name) + counts[name]
    for monster, count in kills_by.items():
        name = f"{AWAY_KILLS_PREFIX}{monster}"
        battle[name] = item.num(name) + count


def _tally(events: list[Event]) -> tuple[dict[str, int], dict[int, int]]:
    counts = dict.fromkeys(AWAY_FIELDS, 0)
    kills_by: dict[int, int] = {}
    for event in events:
        if event.kind == "spawn":
            counts["away_fights"] += 1
        elif event.kind == "kill":
            counts["away_kills"] += 1
            counts["away_exp"] += event.value
            kills_by[event.ref] = kills_by.get(event.ref, 0) + 1
        elif event.kind == "level":
            counts["away_levels"] += 1
        elif event.kind == "death":
            counts["away_deaths"] += 1
        elif event.kind == "retreat":
            counts["away_retreats"] += 1
    return counts, kills_by


def _schedule(
    fight: Fight,
    item_origin: int,
    now: int,
    *,
    capped: bool,
    watched: bool = True,
    online: bool = True,
    due: int | None = None,
) -> str:
    """When the battle is due next: auto every cycle, on a fixed cadence from its last due time (a
    battle running late is due at once), less often when nobody watches it; manual at its next
    exchange; never when it is over or paused."""
    if fight.phase != "fighting" or capped:
        return ""
    if fight.mode == "auto":
        period = cycle_ms(watched=watched, online=online)
        return str(now + period if due is None else max(due + period, now))
    return str(item_origin + fight.next_exchange)


# --- the player's commands


@dataclass
class Outcome:
    """What a command did, for the scene to describe."""

    ok: bool
    error: Refusal | None = None
    fight: Fight | None = None
    events: list[Event] = field(default_factory=list)
    wait_ms: int = 0
    summary: Summary | None = None


def battle_start(character_id: int, *, dungeon: int, mode: str, now: int | None = None) -> Outcome:
    now = now_ms() if now is None else now
    content = catalog_get().content

    def start(item: Loaded) -> Change:
        if item.exists:
            return Change(None, error=Refusal.ALREADY)
        if item.character["hp"] <= 0:
            return Change(None, error=Refusal.DEAD)
        fight = fight_new(
            character=item.character, dungeon=dungeon, seed=random.getrandbits(62), mode=mode, content=content
        )
        extra = {"origin": now, "offline_at": -1, "skill_ready_at": 0, **AWAY_RESET}
        return Change(fight, fight.events, extra, due=_schedule(fight, now, now, capped=False))

    return _outcome(_apply_one(character_id, start))


def battle_attack(character_id: int, *, now: int | None = None) -> Outcome:
    now = now_ms() if now is None else now

    def attack(item: Loaded) -> Change:
        if not item.exists or item.battle["mode"] != "manual":
            return Change(None, error=Refusal.NONE)
        fight = item.fight()
        if fight.phase != "encounter":
            return Change(None, error=Refusal.BUSY if fight.phase == "fighting" else Refusal.NONE)
        attack_start(fight, now - item.num("origin"))
        return Change(fight, [], due=_schedule(fight, item.num("origin"), now, capped=False))

    return _outcome(_apply_one(character_id, attack))


def battle_skill(character_id: int, *, slot: int, now: int | None = None) -> Outcome:
    now = now_ms() if now is None else now
    content = catalog_get().content

    def use(item: Loaded) -> Change:
        if not item.exists or item.battle["mode"] != "manual":
            return Change(None, error=Refusal.NONE)
        wait = item.num("skill_ready_at") - now
        if wait > 0:
            return Change(None, error=Refusal.COOLDOWN, wait_ms=wait)
        fight = item.fight()
        if fight.phase != "fighting":
            return Change(None, error=Refusal.NOT_FIGHTING)
        skill_id = fight.skills[slot - 1]
        if skill_id not in content.skills:
            return Change(None, error=Refusal.EMPTY)
        events = skill_use(fight, slot, now - item.num("origin"), content)
        if events and events[-1].kind == "no_mp":
            return Change(None, error=Refusal.NO_MP, events=events)
        battle = {"skill_ready_at": now + SKILL_COOLDOWN_MS}
        return _after(item, fight, events, battle, now)

    return _outcome(_apply_one(character_id, use))


def battle_stop(character_id: int, *, now: int | None = None) -> Outcome:
    """Stop (or run from) the fight: play it up to now and end it (the write-behind saves the
    character, as after any other change)."""
    now = now_ms() if now is None else now
    content = catalog_get().content

    def stop(item: Loaded) -> Change:
        if not item.exists:
            return Change(None, error=Refusal.NONE)
        fight = item.fight()
        events = advance(fight, item.target(now), content)
        return Change(fight, events, due="del", scene="heal" if fight.phase == "dead" else "")

    return _outcome(_apply_one(character_id, stop))


def battle_offline(character_id: int, *, now: int | None = None) -> None:
    """The player left: the chain goes on, adding up what happens for the summary."""
    now = now_ms() if now is None else now

    def leave(item: Loaded) -> Change | None:
        if not item.exists or not item.online:
            return None
        due = _schedule(item.fight(), item.num("origin"), now, capped=False, watched=False, online=False)
        if due:
            # Spread over the period: players who leave together (a web process restarted) would
            # otherwise all be due in the same second of every minute for hours.
            due = str(int(due) - random.randrange(cycle_ms(watched=False, online=False) // 2))
        return Change(None, battle={"offline_at": now - item.num("origin")}, due=due)

    _apply_one(character_id, leave)


def battle_return(character_id: int, *, now: int | None = None) -> Outcome:
    """The player is back: catch the battle up to now (or to its offline cap), and return the
    summary of what happened while away. A battle that ended in death is closed here."""
    now = now_ms() if now is None else now
    content = catalog_get().content

    def back(item: Loaded) -> Change | None:
        if not item.exists:
            return None
        fight = item.fight()
        events = advance(fight, item.target(now), content)
        battle: dict[str, int | str] = {}
        _count_away(item, events, battle)
        summary = _summary(item, fight, battle, now)
        kill_fields = [name for name in {**item.battle, **battle} if name.startswith(AWAY_KILLS_PREFIX)]
        battle.update(AWAY_RESET, **dict.fromkeys(kill_fields, 0), offline_at=-1)
        if fight.phase == "dead":
            return Change(fight, events, due="del", scene="heal", summary=summary)
        battle["origin"] = now - fight.t  # a chain paused at its cap resumes from here
        return Change(fight, events, battle, due=_schedule(fight, now - fight.t, now, capped=False), summary=summary)

    return _outcome(_apply_one(character_id, back))


def _summary(item: Loaded, fight: Fight, battle: dict, now: int) -> Summary:
    counts = {name: int(battle.get(name, item.num(name))) for name in AWAY_FIELDS}
    kills_by = _kills_by({**item.battle, **battle})
    if fight.phase == "dead":
        end = AwayEnd.DEATH
    elif item.battle.get(AWAY_END) == AwayEnd.CAP or (item.capped(now) and fight.phase == "fighting"):
        end = AwayEnd.CAP
    else:
        end = AwayEnd.RETURN
    fought = max(0, fight.t - item.num("offline_at")) if not item.online else 0
    return Summary(not item.online, counts, kills_by, fought, end, fight.dungeon)


def _after(item: Loaded, fight: Fight, events: list[Event], battle: dict, now: int, due: int | None = None) -> Change:
    """The write after the engine ran: schedule, away counts, and what ends the battle."""
    _count_away(item, events, battle)
    online = item.online
    if fight.phase == "dead":
        # Online, the player sees the death and goes to the healer; offline, the battle waits
        # (unscheduled) to be summed up on return.
        if not online:
            battle[AWAY_END] = AwayEnd.DEATH
        return Change(fight, events, battle, due="del" if online else "", scene="heal")
    capped = not online and fight.t >= item.num("offline_at") + offline_cap_ms()
    if capped:
        battle[AWAY_END] = AwayEnd.CAP
    scene = "encounter" if fight.mode == "manual" and fight.phase == "encounter" else ""
    schedule = _schedule(fight, item.num("origin"), now, capped=capped, watched=item.watched, online=online, due=due)
    return Change(fight, events, battle, due=schedule, scene=scene)


def _outcome(done: tuple[Loaded, Change] | None) -> Outcome:
    if done is None:
        return Outcome(False, error=Refusal.NONE)
    _item, change = done
    if change.error:
        return Outcome(False, error=change.error, events=change.events, wait_ms=change.wait_ms)
    return Outcome(True, fight=change.fight, events=change.events, summary=change.summary)


# --- the workers' cycles


@dataclass
class CycleReport:
    advanced: list[tuple[Loaded, Change]]
    lags_ms: list[int]


def battles_cycle(batch: list[tuple[int, int]], *, now: int | None = None) -> CycleReport:
    """Advance each (character id, due time) battle to now; return what happened."""
    now = now_ms() if now is None else now
    content = catalog_get().content

    def step(item: Loaded) -> Change | None:
        if not item.exists:
            return Change(None, due="del")  # a stale entry of the schedule
        fight = item.fight()
        if fight.phase != "fighting":
            return Change(None, due="")
        events = advance(fight, item.target(now), content)
        if not events and fight.t == item.num("t"):
            return None  # already there (a task delivered twice): nothing to write
        return _after(item, fight, events, {}, now, due[item.character_id])

    due = dict(batch)
    done, gone = _apply(list(due), step)
    if gone:
        # A battle whose character has no hot state (its account was deleted) leaves the schedule, so it
        # is not claimed again every lease; its hash, if any, stays for a return that reloads the character.
        get_redis().zrem(DUE_KEY, *gone)
    lags = [
        max(0, now - due[character_id]) for character_id, (_item, change) in done.items() if change.fight is not None
    ]
    return CycleReport([pair for pair in done.values() if pair[1].fight is not None], lags)


def battle_delete(character_id: int) -> None:
    """The account is deleted: its battle leaves the schedule and Redis (a cycle holding it then
    fails its compare-and-set and finds nothing)."""
    get_redis().pipeline(transaction=True).delete(battle_key(character_id)).zrem(DUE_KEY, character_id).execute()


def _battle_of(snapshots: dict[int, Snapshot], character_id: int) -> Loaded | None:
    snapshot = snapshots.get(character_id)
    item = Loaded.of(snapshot) if snapshot is not None else None
    return item if item is not None and item.exists else None


def battle_get(character_id: int) -> Loaded | None:
    """The player's battle as it is now, or None (a read: nothing is written)."""
    return _battle_of(characters_read_sync([character_id], reads=_READS), character_id)


async def battle_aget(character_id: int) -> Loaded | None:
    """`battle_get` from an event loop: one round trip, no thread."""
    return _battle_of(await characters_read([character_id], reads=_READS), character_id)


# --- the schedule


LEASE_MS = 10_000
LAG_SAMPLES_KEY = "mud:bt:stat:lag"
CYCLES_KEY = "mud:bt:stat:cycles"

# Take the battles that are due and push their due time past a lease, so the next dispatch does
# not hand them out again while a worker has them; a lost task only delays them by the lease.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
for i = 1, #due, 2 do redis.call('ZADD', KEYS[1], ARGV[2], due[i]) end
return due
"""


def battles_due_claim(*, now: int | None = None, limit: int = 100_000) -> list[tuple[int, int]]:
    now = now_ms() if now is None else now
    flat = get_redis().eval(_CLAIM, 1, DUE_KEY, now, now + LEASE_MS, limit)
    return [(int(flat[i]), int(float(flat[i + 1]))) for i in range(0, len(flat), 2)]


def battle_metrics_record(report: CycleReport) -> None:
    """The lag of each cycle run: to Prometheus, and to the samples the game masters' page reads."""
    if not report.lags_ms:
        return
    metrics.battle_lags_observe(report.lags_ms)
    pipe = get_redis().pipeline(transaction=False)
    pipe.incrby(CYCLES_KEY, len(report.lags_ms))
    pipe.lpush(LAG_SAMPLES_KEY, *report.lags_ms)
    pipe.ltrim(LAG_SAMPLES_KEY, 0, 49_999)
    pipe.execute()


def battles_overview(*, limit: int) -> dict:
    """For game masters: how many battles are scheduled, the next ones due, and recent cycle lag."""
    r = get_redis()
    due = r.zrange(DUE_KEY, 0, limit - 1, withscores=True)
    pipe = r.pipeline(transaction=False)
    for character_id, _score in due:
        pipe.hmget(battle_key(int(character_id)), "mode", "phase", "dungeon", "t", "offline_at")
        pipe.hget(player_key(int(character_id)), "name")
    replies = pipe.execute()
    now = now_ms()
    rows = []
    for i, (character_id, score) in enumerate(due):
        (mode, phase, dungeon, t, offline_at), name = replies[2 * i], replies[2 * i + 1]
        rows.append(
            {
                "character_id": int(character_id),
                "name": name or "?",
                "mode": mode,
                "phase": phase,
                "dungeon": dungeon,
                "seconds": int(t or 0) // 1000,
                "online": offline_at == "-1",
                "due_in_ms": int(score) - now,
            }
        )
    lags = [int(x) for x in r.lrange(LAG_SAMPLES_KEY, 0, 9_999)]
    return {
        "scheduled": r.zcard(DUE_KEY),
        "rows": rows,
        "lag": {q: percentile(lags, q) for q in (50, 95, 99)} if lags else None,
        "cycles": int(r.get(CYCLES_KEY) or 0),
    }
