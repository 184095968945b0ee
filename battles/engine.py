"""The rules engine of GAME.md §3–5: pure and deterministic.

`advance(fight, until, catalog)` moves a fight along its fixed timeline up to battle time `until`
(ms) and returns what happened. Every random draw is a hash of (seed, battle time, purpose), so the
result depends only on the state, the elapsed battle time and the seed: advancing in one span or
in pieces gives the same fight, online cycles and offline catch-up alike (DESIGN.md invariant 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.progression import AUTO_RETREAT_DEFAULT, MAX_EXP, MAX_LEVEL, exp_to_leave, stats_for_level

AUTO_EXCHANGE_MS = 500
AUTO_SKILL_MS = 800
AUTO_SKILL_CHANCE = 50  # percent, at every skill tick
MANUAL_EXCHANGE_MS = 1500
KILL_HP_PERCENT = 5
KILL_MP_PERCENT = 20
REST_MS = 30_000  # after a retreat: recovering, nothing exchanged
REST_TICKS = REST_MS // AUTO_EXCHANGE_MS  # recovery steps, one per exchange tick

# Purposes of the random draws.
_PLAYER_HIT, _MONSTER_HIT, _SKILL_CHANCE, _SKILL_PICK, _SKILL_HIT, _SPAWN, _MANUAL_SKILL = range(7)
_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def draw(seed: int, t: int, purpose: int, salt: int = 0) -> int:
    return _mix(seed ^ _mix((t << 8) | (purpose << 4) | (salt & 15)))


def hit(base: int, roll: int) -> int:
    """floor(base · r / 100) with r in 80..119."""
    return base * (80 + roll % 40) // 100


def strength(damage: int, base: int) -> str:
    """The adjective class of a hit: damage/base < 0.95 weak, < 1.05 normal, else strong (exactly,
    in integers: the floor in hit() moves some rolls to the class below)."""
    if base <= 0:
        return "normal"
    return "weak" if 100 * damage < 95 * base else "normal" if 100 * damage < 105 * base else "strong"


# --- the content the engine needs (a plain snapshot; see battles.catalog)


@dataclass(frozen=True)
class MonsterInfo:
    id: int
    dungeon: int
    kind: int
    name_ko: str
    name_en: str
    hp: int
    attack: int
    defense: int
    exp: int
    weight: int


@dataclass(frozen=True)
class SkillInfo:
    id: int
    name_ko: str
    name_en: str
    effect: str  # "damage" or "armor"
    mp_cost: int
    multiple: int
    unlock_level: int
    duration_ms: int


@dataclass(frozen=True)
class Content:
    monsters: dict[int, MonsterInfo]
    skills: dict[int, SkillInfo]
    spawn_tables: dict[int, tuple[MonsterInfo, ...]]  # dungeon -> its templates


# --- events


@dataclass(frozen=True)
class Event:
    t: int
    kind: str  # hit, hurt, skill, armor, kill, level, spawn, death, no_mp, retreat
    value: int = 0  # damage, exp, level
    ref: int = 0  # monster or skill id
    strength: str = ""


# --- the fight


@dataclass
class Fight:
    level: int
    exp: int
    hp: int
    max_hp: int
    mp: int
    max_mp: int
    attack: int
    defense: int
    weapon_level: int
    kills: int
    deaths: int
    skills: tuple[int, int, int]
    dungeon: int
    seed: int
    auto_retreat: int = AUTO_RETREAT_DEFAULT  # flee below this % of max hp (auto mode; 0 never)
    mode: str = "auto"  # "auto" or "manual"
    phase: str = "fighting"  # "fighting", "encounter" (manual, between fights) or "dead"
    t: int = 0
    next_exchange: int = 0
    next_skill: int = 0
    armor_until: int = 0
    monster: int = 0
    monster_hp: int = 0
    rest_until: int = 0  # after a retreat, recovering until this battle time
    events: list[Event] = field(default_factory=list, compare=False, repr=False)


def fight_new(*, character: dict[str, int], dungeon: int, seed: int, mode: str, content: Content, t: int = 0) -> Fight:
    fight = Fight(
        **{name: character[name] for name in CHARACTER_FIELDS},
        skills=(character["skill_1"], character["skill_2"], character["skill_3"]),
        dungeon=dungeon,
        seed=seed,
        mode=mode,
        t=t,
        phase="fighting" if mode == "auto" else "encounter",
    )
    fight.next_exchange = t + AUTO_EXCHANGE_MS
    fight.next_skill = t + AUTO_SKILL_MS
    _spawn(fight, t, content)
    return fight


# The character's part of a fight (its skills are the slots skill_1..3).
CHARACTER_FIELDS = (
    "level",
    "exp",
    "hp",
    "max_hp",
    "mp",
    "max_mp",
    "attack",
    "defense",
    "weapon_level",
    "kills",
    "deaths",
    "auto_retreat",
)


def advance(fight: Fight, until: int, content: Content) -> list[Event]:
    """Play the fight's timeline up to battle time `until`; return the events, in order."""
    fight.events = []
    if fight.monster not in content.monsters:  # a game master replaced the content meanwhile
        _spawn(fight, fight.t, content)
    while fight.phase == "fighting":
        skill_at = fight.next_skill if fight.mode == "auto" else until + 1
        at = min(fight.next_exchange, skill_at)
        if at > until:
            fight.t = max(fight.t, until)
            break
        fight.t = at
        if fight.next_exchange <= skill_at:
            fight.next_exchange += AUTO_EXCHANGE_MS if fight.mode == "auto" else MANUAL_EXCHANGE_MS
            if fight.rest_until:
                _rest(fight, at, content)
            else:
                _exchange(fight, at, content)
        else:
            fight.next_skill += AUTO_SKILL_MS
            if not fight.rest_until:
                _auto_skill(fight, at, content)
    return fight.events


def attack_start(fight: Fight, now: int) -> None:
    """Manual mode: start exchanging blows with the monster in sight."""
    fight.phase, fight.t = "fighting", now
    fight.next_exchange = now + MANUAL_EXCHANGE_MS


def skill_use(fight: Fight, slot: int, now: int, content: Content) -> list[Event]:
    """Manual mode: use the skill in `slot` (1–3) at battle time `now` (the fight is advanced first)."""
    advance(fight, now, content)
    fight.events = []
    skill = content.skills.get(fight.skills[slot - 1]) if 1 <= slot <= 3 else None
    if fight.phase == "fighting" and skill is not None:
        _skill(fight, skill, now, _MANUAL_SKILL, content)
    return fight.events


def _exchange(fight: Fight, t: int, content: Content) -> None:
    """The player hits, then the monster if it is still alive."""
    damage = hit(fight.attack, draw(fight.seed, t, _PLAYER_HIT))
    fight.events.append(Event(t, "hit", damage, fight.monster, strength(damage, fight.attack)))
    if _monster_hurt(fight, damage, t, content):
        return
    monster = content.monsters[fight.monster]
    damage = hit(monster.attack, draw(fight.seed, t, _MONSTER_HIT))
    adjective = strength(damage, monster.attack)  # of the blow, before the armour halves it
    if t < fight.armor_until:
        damage //= 2
    fight.hp = max(0, fight.hp - damage)
    fight.events.append(Event(t, "hurt", damage, fight.monster, adjective))
    if fight.hp == 0:
        fight.phase = "dead"
        fight.deaths += 1
        fight.events.append(Event(t, "death", 0, fight.monster))
    elif fight.mode == "auto" and 100 * fight.hp < fight.auto_retreat * fight.max_hp:
        fight.rest_until = t + REST_MS
        fight.events.append(Event(t, "retreat", REST_MS, fight.monster))


def _rest(fight: Fight, t: int, content: Content) -> None:
    """After a retreat, each exchange tick recovers 1/60 of max hp and mp (rounded up, so both are
    full when the rest ends); then the chain goes on with a freshly rolled monster."""
    fight.hp = min(fight.max_hp, fight.hp + -(-fight.max_hp // REST_TICKS))
    fight.mp = min(fight.max_mp, fight.mp + -(-fight.max_mp // REST_TICKS))
    if t >= fight.rest_until:
        fight.rest_until = 0
        _spawn(fight, t, content)


def _auto_skill(fight: Fight, t: int, content: Content) -> None:
    """Every 0.8 s a 50 % chance to use an equipped skill, weighted 1/cost among those MP allows."""
    if draw(fight.seed, t, _SKILL_CHANCE) % 100 >= AUTO_SKILL_CHANCE:
        return
    usable = [content.skills[s] for s in fight.skills if s in content.skills and content.skills[s].mp_cost <= fight.mp]
    usable = [s for s in usable if s.effect == "damage" or t >= fight.armor_until]
    if not usable:
        return
    # Weight 1/cost, in integers: each skill weighs the product of the other skills' costs.
    weights = [_product(o.mp_cost or 1 for o in usable if o is not s) for s in usable]
    pick = draw(fight.seed, t, _SKILL_PICK) % sum(weights)
    for skill, weight in zip(usable, weights, strict=True):
        if pick < weight:
            _skill(fight, skill, t, _SKILL_HIT, content)
            return
        pick -= weight


def _product(values) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def _skill(fight: Fight, skill: SkillInfo, t: int, purpose: int, content: Content) -> None:
    if skill.mp_cost > fight.mp:
        fight.events.append(Event(t, "no_mp", skill.mp_cost, skill.id))
        return
    fight.mp -= skill.mp_cost
    if skill.effect == "armor":
        fight.armor_until = t + skill.duration_ms
        fight.events.append(Event(t, "armor", skill.duration_ms, skill.id))
        return
    base = fight.attack * skill.multiple // 100
    damage = hit(base, draw(fight.seed, t, purpose))
    fight.events.append(Event(t, "skill", damage, skill.id, strength(damage, base)))
    _monster_hurt(fight, damage, t, content)


def _monster_hurt(fight: Fight, damage: int, t: int, content: Content) -> bool:
    """Apply damage to the monster; on a kill, reward and spawn the next. True if it died."""
    fight.monster_hp = max(0, fight.monster_hp - damage)
    if fight.monster_hp > 0:
        return False
    monster = content.monsters[fight.monster]
    fight.exp = min(MAX_EXP, fight.exp + monster.exp)
    fight.kills += 1
    fight.hp = min(fight.max_hp, fight.hp + fight.max_hp * KILL_HP_PERCENT // 100)
    fight.mp = min(fight.max_mp, fight.mp + fight.max_mp * KILL_MP_PERCENT // 100)
    fight.events.append(Event(t, "kill", monster.exp, monster.id))
    while fight.level < MAX_LEVEL and fight.exp >= exp_to_leave(fight.level):
        fight.level += 1
        for name, value in stats_for_level(fight.level, fight.weapon_level).items():
            setattr(fight, name, value)
        fight.events.append(Event(t, "level", fight.level))
    if fight.mode == "manual":
        fight.phase = "encounter"
    _spawn(fight, t, content)
    return True


def _spawn(fight: Fight, t: int, content: Content) -> None:
    table = content.spawn_tables[fight.dungeon]
    pick = draw(fight.seed, t, _SPAWN, fight.kills) % sum(m.weight for m in table)
    for monster in table:
        if pick < monster.weight:
            break
        pick -= monster.weight
    fight.monster, fight.monster_hp = monster.id, monster.hp
    fight.events.append(Event(t, "spawn", 0, monster.id))
