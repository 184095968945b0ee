"""A character's change form saved in the admin while the player plays (the real daphne): the values it
changed reach the player's hot state, survive the write-behind, stay in range, and are in the trail."""

import asyncio

import pytest

from accounts.character_state import character_state_get, character_states_flush
from accounts.models import AuditEntry, Character
from tests.flows.test_admin_flow import _change_form_post, _player
from tests.waits import state_set

pytestmark = pytest.mark.usefixtures("live_db")


async def test_a_form_edit_reaches_the_hot_state_and_the_database(game_server, admin_browser):
    client, character = await _player(game_server)
    # The hot state is ahead of the database: the form shows the live values (exp 30, hp 100), not the
    # row's, and saving it must not put the row's back. A lower max HP needs hp lowered with it.
    await state_set(client, character.pk, exp=30)
    await Character.objects.filter(pk=character.pk).aupdate(hp=50)
    await asyncio.to_thread(_change_form_post, admin_browser, Character, character.pk, kills="12", max_hp="80", hp="80")
    await client.until(lambda f: "changed your character" in f["plain"])
    status = (await client.next("status"))["character"]
    assert (status["hp"], status["max_hp"], status["exp"]) == (80, 80, 30)
    state = await character_state_get(character.pk)
    assert (state["kills"], state["max_hp"], state["hp"], state["exp"]) == (12, 80, 80, 30)

    await asyncio.to_thread(character_states_flush, [character.pk])
    row = await Character.objects.aget(pk=character.pk)
    assert (row.kills, row.max_hp, row.hp, row.exp) == (12, 80, 80, 30)
    entries = [e async for e in AuditEntry.objects.filter(target_id=character.pk)]
    assert [(e.action, e.actor_name) for e in entries] == [("change_character", admin_browser.game_master.username)]
    assert entries[0].before == {"kills": 0, "max_hp": 100, "hp": 100}
    assert entries[0].after == {"kills": 12, "max_hp": 80, "hp": 80}
    await client.close()
