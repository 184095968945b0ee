"""The NPCs' actions on a character's hot state (atomic: see accounts.character_state)."""

import enum
import random
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db.models.signals import post_delete, post_save

from accounts.character_state import State, character_state_mutate
from accounts.progression import MAX_WEAPON_LEVEL, attack_for
from battles.catalog import CONTENT, catalog_changed
from mudserver.failures import DATABASE_UNAVAILABLE
from village.content import NPC_LINES
from village.models import NpcLine
from village.rules import FAILED_ENHANCE_COST, dice_score, enhance_chance, enhance_cost, stake_limit

RNG = random.SystemRandom()


# Held in each process's memory: a talk is one of the commonest actions, and a database round trip
# (on the web process's single database thread) for a few lines of text is waste. An edit in the
# admin bumps the game content's version (battles.catalog.CONTENT): the next talk after a process
# sees it (within a second) shows the new line, without a restart.
post_save.connect(catalog_changed, sender=NpcLine, dispatch_uid="npc-line-save")
post_delete.connect(catalog_changed, sender=NpcLine, dispatch_uid="npc-line-delete")


async def npc_line_pick(npc: str, lang: str, *, rng: random.Random = RNG) -> str | None:
    try:
        lines = await CONTENT.aget(("npc", npc), lambda _version: _npc_lines_load(npc))
    except DATABASE_UNAVAILABLE:
        lines = CONTENT.last(("npc", npc))
        if lines is None:
            raise  # nothing to say instead: the player is asked to try again
        # While the database is away the lines known do; it is asked again at the next talk.
    return rng.choice(lines).text(lang) if lines else None


@database_sync_to_async
def _npc_lines_load(npc: str) -> list[NpcLine]:
    return list(NpcLine.objects.filter(npc=npc))


async def character_heal(character_id: int) -> bool:
    """Restore hp and mp to their maxima (reviving the dead); False when both were already full."""

    def heal(s: State):
        if s["hp"] >= s["max_hp"] and s["mp"] >= s["max_mp"]:
            return {}, False
        return {"hp": s["max_hp"], "mp": s["max_mp"]}, True

    return await character_state_mutate(character_id, heal)


class Enhanced(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    TOO_POOR = "too_poor"  # not enough exp for the cost
    MAXED = "maxed"  # the weapon is at its highest level


@dataclass
class Enhancement:
    outcome: Enhanced
    weapon_level: int
    cost: int
    chance: float


async def weapon_enhance(character_id: int, *, rng: random.Random = RNG) -> Enhancement:
    roll = rng.random() * 100  # drawn once, outside the transaction, which may be retried

    def enhance(s: State):
        w = s["weapon_level"]
        cost, chance = enhance_cost(w), enhance_chance(w)
        if w >= MAX_WEAPON_LEVEL:
            return {}, Enhancement(Enhanced.MAXED, w, 0, 0.0)
        if s["exp"] < cost:
            return {}, Enhancement(Enhanced.TOO_POOR, w, cost, chance)
        if roll < chance:
            changes = {"weapon_level": w + 1, "attack": attack_for(s["level"], w + 1), "exp": s["exp"] - cost}
            return changes, Enhancement(Enhanced.SUCCESS, w + 1, cost, chance)
        return {"exp": s["exp"] - FAILED_ENHANCE_COST}, Enhancement(Enhanced.FAILURE, w, FAILED_ENHANCE_COST, chance)

    return await character_state_mutate(character_id, enhance)


@dataclass
class DiceGame:
    rounds: list[tuple[int, int]]
    score: int
    stake: int
    exp: int  # after the game


class StakeRefused(Exception):
    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


async def dice_play(character_id: int, *, rounds: list[tuple[int, int]], stake: int) -> DiceGame:
    """Settle a game of dice; a stake above 10 % of the exp held at that moment is refused."""
    score = dice_score(rounds)

    def settle(s: State):
        if stake > stake_limit(s["exp"]):
            raise StakeRefused(stake_limit(s["exp"]))
        exp = s["exp"] + (stake if score > 0 else -stake)
        return ({"exp": exp} if stake else {}), DiceGame(rounds, score, stake, exp)

    return await character_state_mutate(character_id, settle)


def npc_lines_load(*, reset: bool = False) -> int:
    """Load the shipped talk lines; with reset, replace whatever game masters changed."""
    if reset:
        NpcLine.objects.all().delete()
    elif NpcLine.objects.exists():
        return 0
    rows = [NpcLine(npc=npc, text_ko=ko, text_en=en) for npc, lines in NPC_LINES.items() for ko, en in lines]
    NpcLine.objects.bulk_create(rows)
    catalog_changed()  # bulk_create sends no post_save: the processes' held lines are stale
    return len(rows)
