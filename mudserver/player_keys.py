"""How long what a player keeps in Redis outlives them (README, "Operating it", says what it costs).

While a connection owns the player, their hot state (`mud:ch:<id>`, accounts.character_state), scene
and connection (`mud:pl:<id>`, mudserver.scene_store) and battle (`mud:bt:<id>`) never expire. Once
they leave (sign-out, a closed socket, or the presence sweep's finding that their web process died)
the three expire after GAME["PLAYER_IDLE_SECONDS"] and the heartbeat goes at once; a battle that
goes on offline renews the three at each of its writes (battles.services), so it never loses them
while it runs, and they expire the idle time after it stops. The rest goes by itself: the account's
presence hash after three missed heartbeats, the chat channel and online entries on leaving (or at
the sweep), a chat mute at its end, an arena membership with its room, the dirty mark at the next
write-behind.
"""

from django.conf import settings

from mudserver import hooks
from mudserver.presence import heartbeat_key, presence_release
from mudserver.redis_client import get_async_redis
from mudserver.scene_store import player_key


def _keys(character_id: int) -> list[str]:
    """The shell's own key and those the apps register (mudserver.hooks.player_keys)."""
    return [player_key(character_id), *(key_of(character_id) for key_of in hooks.player_keys)]


async def player_keys_keep(character_id: int) -> None:
    """A connection owns the player again: nothing of theirs expires."""
    pipe = get_async_redis().pipeline(transaction=False)
    for key in _keys(character_id):
        pipe.persist(key)
    await pipe.execute()


async def player_leave(*, user_id: int, channel: str, character_id: int) -> None:
    """The connection `channel` lets the player go: unless another has taken the account over,
    what they keep expires after the idle time."""
    seconds = settings.GAME["PLAYER_IDLE_SECONDS"]
    await presence_release(
        user_id=user_id, channel=channel, character_id=character_id, expiring=_keys(character_id), seconds=seconds
    )


# Unless a connection has come back meanwhile (its heartbeat, KEYS[1]), KEYS[2...] expire after ARGV[1] s.
_IDLE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return end
for i = 2, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
"""


async def player_keys_idle(character_id: int) -> None:
    """The player's connection vanished (the presence sweep found no heartbeat): what they keep
    expires after the idle time."""
    keys = [heartbeat_key(character_id), *_keys(character_id)]
    await get_async_redis().eval(_IDLE, len(keys), *keys, settings.GAME["PLAYER_IDLE_SECONDS"])
