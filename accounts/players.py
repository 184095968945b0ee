"""What accounts tells the shell (mudserver.hooks): which character an account plays, its status
frame, its hot state loaded on sign-in and written on sign-out, and the Redis key it keeps."""

from accounts.character_state import (
    character_state_ensure,
    character_states_flush_now,
    character_status_frame,
    state_key,
)
from accounts.models import Character
from accounts.selectors import character_of_user
from mudserver import hooks


async def _hot_state_load(character: Character) -> None:
    await character_state_ensure(character)


async def _hot_state_write(character_id: int) -> None:
    await character_states_flush_now([character_id])


def players_register() -> None:
    hooks.character_loader.provide(character_of_user)
    hooks.status_frame.provide(character_status_frame)
    hooks.sign_in_hooks.add(_hot_state_load, order=10)
    hooks.sign_out_hooks.add(_hot_state_write, order=10)
    hooks.player_keys.add("character state", state_key)
