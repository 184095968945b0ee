"""A signed-in player sits in a chat channel: the lowest global shard with room, on arrival."""

from chat import channels
from chat.services import history_frames, presence_frame
from mudserver import push
from mudserver.router import Arrival, Context, on_arrival, on_departure


@on_arrival
async def chat_arrival(ctx: Context) -> Arrival:
    membership = await channels.shard_join(ctx.character_id)
    await ctx.connection.group_join(push.chat_group(membership.channel))
    notice = presence_frame(membership.channel, membership.members, joined=ctx.name if membership.changed else None)
    if membership.changed:
        await push.chat_channel_send(membership.channel, notice)
    return Arrival(frames=[*(await history_frames(membership.channel)), notice])


@on_departure
async def chat_departure(ctx: Context) -> None:
    left = await channels.channel_leave(ctx.character_id)
    if left is not None:
        await ctx.connection.group_leave(push.chat_group(left.channel))
        await push.chat_channel_send(left.channel, presence_frame(left.channel, left.members, left=ctx.name))
