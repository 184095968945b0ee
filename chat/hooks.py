"""A signed-in player sits in one chat channel: the lowest global shard with room on arrival, an
arena room's channel while in the room (moved by `chat_move`), and nothing once gone."""

from accounts import hooks as account_hooks
from chat import channels
from chat.commands import people_commands_register
from chat.events import ChatMoved
from chat.people import ignored_names
from chat.services import (
    Refusal,
    chat_mute,
    chat_mute_restore,
    chat_say,
    history_frames,
    presence_event,
    presence_frame,
)
from mudserver import hooks, push
from mudserver.router import Arrival, Context, on_arrival, on_departure


async def _enter(ctx: Context, membership: channels.Membership) -> list[dict]:
    """Tell the channel's members (unless this is a reconnect); return its history. Its messages
    reach the player through the channel's membership (chat.channels.channel_tell)."""
    notice = presence_event(membership.channel, membership.members, joined=ctx.name if membership.changed else None)
    if membership.changed:
        await channels.channel_tell(membership.channel, notice)
    history = [frame for frame in await history_frames(membership.channel) if frame["from"] not in ctx.ignored]
    return [*history, presence_frame(notice)]


async def chat_arrival(ctx: Context) -> Arrival:
    # The names whose messages the connection drops (chat.people), before the channel's history.
    ctx.ignored = await ignored_names(ctx.character_id)
    return Arrival(frames=await _enter(ctx, await channels.shard_join(ctx.character_id)))


async def chat_departure(ctx: Context) -> None:
    left = await channels.channel_leave(ctx.character_id)
    if left is not None:
        await channels.channel_tell(left.channel, presence_event(left.channel, left.members, left=ctx.name))


async def chat_switch(ctx: Context, room: str | None) -> list[dict]:
    """Move to a room channel, or with None back to a global shard; return the frames to show."""
    await chat_departure(ctx)
    membership = await (
        channels.shard_join(ctx.character_id) if room is None else channels.room_enter(ctx.character_id, room)
    )
    return await _enter(ctx, membership)


async def _mute_restore(character) -> None:
    await chat_mute_restore(character.pk, character.user.chat_muted_until)


async def _chat_frame(ctx: Context, frame: dict) -> Refusal | None:
    return await chat_say(character_id=ctx.character_id, name=ctx.name, text=frame["text"], to=frame.get("to"))


async def _chat_moved(ctx: Context, item: dict) -> list[dict]:
    return await chat_switch(ctx, item["room"])


def chat_hooks_register() -> None:
    """Join a chat shard on arrival, leave the channel on departure; a mute kept in the database
    back on sign-in; the `chat` frame, and the move to another channel (chat.services.chat_move);
    the ignores loaded on arrival, and the commands `ignore`, `unignore` and `report`."""
    hooks.sign_in_hooks.add(_mute_restore, order=20)
    account_hooks.chat_muter.provide(chat_mute)
    hooks.frame_handlers.add("chat", _chat_frame)
    push.connection_actions.add(ChatMoved.action, _chat_moved)
    on_arrival(chat_arrival, order=20)
    on_departure(chat_departure, order=20)
    people_commands_register()
