"""A signed-in player sits in one chat channel: the lowest global shard with room on arrival, an
arena room's channel while in the room (moved by `chat_move`), and nothing once gone."""

from chat import channels
from chat.services import history_frames, presence_event, presence_frame
from mudserver import push
from mudserver.router import Arrival, Context, on_arrival, on_departure


async def _enter(ctx: Context, membership: channels.Membership) -> list[dict]:
    """Tell the channel's members (unless this is a reconnect); return its history. Its messages
    reach the player through the channel's membership (chat.channels.channel_tell)."""
    notice = presence_event(membership.channel, membership.members, joined=ctx.name if membership.changed else None)
    if membership.changed:
        await channels.channel_tell(membership.channel, notice)
    return [*(await history_frames(membership.channel)), presence_frame(notice)]


@on_arrival
async def chat_arrival(ctx: Context) -> Arrival:
    return Arrival(frames=await _enter(ctx, await channels.shard_join(ctx.character_id)))


@on_departure
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


async def _chat_moved(ctx: Context, item: dict) -> list[dict]:
    return await chat_switch(ctx, item["room"])


push.connection_actions["chat_move"] = _chat_moved
