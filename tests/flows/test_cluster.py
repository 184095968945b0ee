"""The production topology on one machine (`manage.py cluster`'s processes, tests/cluster.py): a
game played through nginx, and web processes that stop or die under their players (issue 9)."""

import signal
import subprocess
from pathlib import Path

import pytest
import websockets

from tests.client import Client, connected, connected_when_up, session_cookie

pytestmark = pytest.mark.usefixtures("live_db")


async def _closed(client: Client) -> websockets.ConnectionClosed:
    """Read what is left until the server closes the socket."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await client.next(timeout=10)
    return closed.value


async def test_sign_up_and_auto_battle_through_nginx(cluster):
    client = await connected(cluster.url)
    await client.sign_up()
    assert (await client.command("d"))["scene"] == "dungeon"
    assert (await client.command("enter 1"))["scene"] == "dungeon_gate"
    out = await client.command("a")
    assert out["scene"] == "auto_battle"
    # The worker behind beat advances it: any line of the live feed (a new character may fall to an
    # elite monster before its first kill, so no particular line is certain).
    await client.next("output", timeout=20)
    assert (await client.ask("s", "stop fighting"))["scene"] == "dungeon"
    await client.close()


def test_a_web_process_queues_a_crowd_of_reconnects(cluster):
    """When a web process drains, its players reconnect to the others within seconds: their listen queue
    holds them (Twisted's own is 50, which overflowed at 500 players, and nginx then took the
    dropped handshakes for a dead process). `ss` shows a listening socket's queue as its Send-Q."""
    somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
    for name in ("web1", "web2"):
        port = cluster.specs[name].port
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True)
        queue = int(listening.stdout.split()[2])
        assert queue == min(4096, somaxconn) and queue > 50, listening.stdout


async def test_sigterm_drains_a_web_process_and_its_players_resume_elsewhere(cluster):
    cookie = session_cookie(cluster.url)
    client = await connected(cluster.web_url("web1"), cookie=cookie)
    await client.sign_up()
    assert (await client.command("v"))["scene"] == "village"
    assert (await client.command("2"))["scene"] == "heal"  # answered: it must survive the restart
    cluster.signal("web1", signal.SIGTERM)
    notice = await client.until(lambda frame: "restarting" in frame["plain"])
    assert notice["scene"] == "heal"
    closed = await _closed(client)
    assert closed.rcvd.code == 4012  # service restart: clients reconnect within the restart window
    assert cluster.wait("web1") == 0
    client, back = await connected_when_up(cluster.url, cookie=cookie)  # nginx sends it to web2
    assert back["scene"] == "heal" and "Welcome back" in back["plain"]
    await client.close()
    cluster.start_process("web1")


async def test_a_drained_player_moves_without_leaving_its_chat_channel(cluster):
    """A drain is a move, not a departure: the others in the moved player's chat channel see it
    neither leave nor join, and it comes back in the same channel."""
    cookie = session_cookie(cluster.url)
    moving = await connected(cluster.web_url("web1"), cookie=cookie)
    name = await moving.sign_up()
    channel = (await moving.next("chat_presence"))["channel"]
    staying = await connected(cluster.web_url("web2"))
    await staying.sign_up()
    assert (await staying.next("chat_presence"))["channel"] == channel  # the lowest shard with room
    cluster.signal("web1", signal.SIGTERM)
    assert (await _closed(moving)).rcvd.code == 4012
    assert cluster.wait("web1") == 0
    back, _welcome = await connected_when_up(cluster.url, cookie=cookie)
    assert (await back.next("chat_presence"))["channel"] == channel
    # Whatever the channel was told about the move reached `staying` before the echo of a message
    # it says after the move (one mailbox per player, in order).
    await staying.send({"type": "chat", "text": "still here?"})
    await staying.until(lambda frame: frame["text"] == "still here?", kind="chat")
    told = [frame for frame in staying.pending if frame["type"] == "chat_presence"]
    assert not [frame for frame in told if name in (frame["joined"], frame["left"])], told
    await back.close()
    await staying.close()
    cluster.start_process("web1")


async def test_a_killed_web_process_loses_no_player(cluster):
    cookie = session_cookie(cluster.url)
    client = await connected(cluster.web_url("web2"), cookie=cookie)
    await client.sign_up()
    assert (await client.command("v"))["scene"] == "village"
    cluster.signal("web2", signal.SIGKILL)
    await _closed(client)
    cluster.wait("web2")
    client, back = await connected_when_up(cluster.url, cookie=cookie)
    assert back["scene"] == "village"
    assert (await client.command("3"))["scene"] == "enhance"  # and plays on
    await client.close()
    cluster.start_process("web2")
