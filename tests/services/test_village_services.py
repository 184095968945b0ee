"""The NPC services with a seeded random source, on the real Redis."""

import random

import pytest

from accounts.character_state import character_state_ensure, character_state_get, character_state_mutate
from accounts.models import Character, User
from tests.client import unique
from village.rules import dice_roll
from village.services import Enhanced, StakeRefused, character_heal, dice_play, npc_line_pick, weapon_enhance

pytestmark = pytest.mark.usefixtures("live_db")


async def _hot(**state) -> int:
    name = unique("vs")
    user = await User.objects.acreate(username=name)
    character = await Character.objects.acreate(user=user, name=name)
    await character_state_ensure(character)
    if state:
        await character_state_mutate(character.pk, lambda s: (state, None))
    return character.pk


class FixedRoll(random.Random):
    def __init__(self, value: float):
        super().__init__(0)
        self.value = value

    def random(self):
        return self.value


async def test_heal():
    cid = await _hot()
    assert await character_heal(cid) is False
    await character_state_mutate(cid, lambda s: ({"hp": 0, "mp": 3}, None))
    assert await character_heal(cid) is True
    state = await character_state_get(cid)
    assert (state["hp"], state["mp"]) == (100, 100)


async def test_enhance_success_failure_and_refusal():
    cid = await _hot(exp=100, level=5, attack=16)
    result = await weapon_enhance(cid, rng=FixedRoll(0.5))  # roll 50 < 96.39 %
    assert (result.outcome, result.weapon_level, result.cost) == (Enhanced.SUCCESS, 2, 10)
    state = await character_state_get(cid)
    assert (state["weapon_level"], state["attack"], state["exp"]) == (2, 17, 90)
    result = await weapon_enhance(cid, rng=FixedRoll(0.99))  # roll 99 > 95.59 %
    assert (result.outcome, result.weapon_level, result.cost) == (Enhanced.FAILURE, 2, 10)
    state = await character_state_get(cid)
    assert (state["weapon_level"], state["attack"], state["exp"], state["hp"]) == (2, 17, 80, 100)
    await character_state_mutate(cid, lambda s: ({"exp": 19, "hp": 50}, None))
    result = await weapon_enhance(cid, rng=FixedRoll(0.0))
    assert (result.outcome, result.cost) == (Enhanced.TOO_POOR, 20)
    state = await character_state_get(cid)
    assert (state["exp"], state["hp"]) == (19, 50)  # a failure never heals


async def test_enhance_outcomes_follow_the_seed():
    outcomes = []
    for _ in range(2):
        cid = await _hot(exp=10_000)
        rng = random.Random(1234)
        outcomes.append([(await weapon_enhance(cid, rng=rng)).outcome for _ in range(30)])
    assert outcomes[0] == outcomes[1] and {Enhanced.SUCCESS, Enhanced.FAILURE} <= set(outcomes[0])


async def test_dice_stakes():
    cid = await _hot(exp=100)
    win = [(1, 6)] * 3 + [(6, 1)] * 2
    lose = [(6, 6)] * 5
    assert (await dice_play(cid, rounds=win, stake=10)).exp == 110
    assert (await dice_play(cid, rounds=lose, stake=11)).exp == 99
    with pytest.raises(StakeRefused) as refused:
        await dice_play(cid, rounds=win, stake=10)  # 10 % of 99 is 9
    assert refused.value.limit == 9
    assert (await dice_play(cid, rounds=lose, stake=0)).exp == 99  # for fun
    game = await dice_play(cid, rounds=dice_roll(random.Random(99)), stake=5)
    assert game.exp == 99 + (5 if game.score > 0 else -5)


async def test_npc_line_pick_follows_language_and_seed():
    ko = await npc_line_pick("gamble", "ko", rng=random.Random(3))
    en = await npc_line_pick("gamble", "en", rng=random.Random(3))
    assert ko != en and ko and en
    assert await npc_line_pick("nobody", "en") is None


async def test_npc_lines_known_do_while_the_database_is_away(monkeypatch):
    from django.db import OperationalError

    from battles import catalog
    from village import services

    async def database_away(npc):
        raise OperationalError(2002, "Can't connect to server")

    await npc_line_pick("heal", "en")  # loaded
    monkeypatch.setattr(catalog.CONTENT, "check_every", -1)
    catalog.catalog_changed()  # and due for a reload
    monkeypatch.setattr(services, "_npc_lines_load", database_away)
    assert await npc_line_pick("heal", "en")
    monkeypatch.delitem(catalog.CONTENT._values, ("npc", "story"), raising=False)  # never loaded: nothing to say
    with pytest.raises(OperationalError):
        await npc_line_pick("story", "en")
