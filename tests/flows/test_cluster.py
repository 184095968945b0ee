"""The production topology on one machine (`manage.py cluster`'s processes, tests/cluster.py): a
game played through nginx, and web processes that stop or die under their players (issue 9)."""

import signal

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
    assert closed.rcvd.code == 4012  # service restart: clients reconnect at once
    assert cluster.wait("web1") == 0
    client, back = await connected_when_up(cluster.url, cookie=cookie)  # nginx sends it to web2
    assert back["scene"] == "heal" and "Welcome back" in back["plain"]
    await client.close()
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
