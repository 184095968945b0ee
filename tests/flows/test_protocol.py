"""Bad frames get an `error` frame and the connection stays open; a flood of them closes it."""

import asyncio
import json

import pytest
import websockets
from django.conf import settings

from tests.client import connected

pytestmark = pytest.mark.usefixtures("live_db")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("this is not json", "bad_frame"),
        ("[1, 2, 3]", "bad_frame"),
        ('"a string"', "bad_frame"),
        ("{}", "bad_frame"),
        ('{"type": "dance"}', "bad_frame"),
        ('{"type": 7}', "bad_frame"),
        ('{"type": "command"}', "bad_frame"),
        ('{"type": "command", "line": 42}', "bad_frame"),
        ('{"type": "command", "line": null}', "bad_frame"),
        ('{"type": "chat", "text": ["x"]}', "bad_frame"),
        ('{"type": "chat", "text": "hi", "to": 5}', "bad_frame"),
        (json.dumps({"type": "command", "line": "x" * 100_000}), "too_long"),
        (json.dumps({"type": "command", "line": "x" * 1001}), "too_long"),
        (b"\x00\x01binary", "bad_frame"),
    ],
)
async def test_bad_frame_gets_an_error_and_the_connection_stays(game_server, frame, code):
    client = await connected(game_server)
    await client.send(frame)
    error = await client.next("error")
    assert error["code"] == code and error["text"]
    out = await client.command("help")  # still open, still in its scene
    assert out["scene"] == "front"
    await client.close()


async def test_a_line_of_exactly_the_limit_is_a_command(game_server):
    client = await connected(game_server)
    out = await client.command("x" * 1000)
    assert "Unknown command" in out["plain"] and out["scene"] == "front"
    await client.close()


async def test_ping_pong_and_chat_before_sign_in(game_server):
    client = await connected(game_server)
    await client.send({"type": "ping"})
    assert (await client.next())["type"] == "pong"
    await client.send({"type": "chat", "text": "hello"})
    assert (await client.next("error"))["code"] == "not_signed_in"
    await client.close()


async def test_more_than_twenty_bad_frames_in_ten_seconds_close_with_4008(game_server):
    client = await connected(game_server)
    for _ in range(21):
        await client.send("nope")
    errors = 0
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            frame = await client.next(timeout=5)
            errors += frame["type"] == "error"
    assert errors == 21 and closed.value.rcvd.code == 4008


async def test_twenty_bad_frames_are_tolerated(game_server):
    client = await connected(game_server)
    for _ in range(20):
        await client.send("nope")
    for _ in range(20):
        assert (await client.next("error"))["code"] == "bad_frame"
    assert (await client.command("help"))["scene"] == "front"
    await client.close()


async def test_a_command_flood_is_rate_limited_not_dropped(game_server):
    client = await connected(game_server)
    flood = 2000
    await asyncio.gather(*[client.send({"type": "command", "line": "help"}) for _ in range(flood)])
    outputs = limited = 0
    while outputs + limited < flood:
        frame = await client.next(timeout=10)
        if frame["type"] == "output":
            outputs += 1
        elif frame["type"] == "error":
            assert frame["code"] == "rate_limited"
            limited += 1
    assert outputs >= settings.GAME["COMMAND_BURST"] and limited > 0  # every frame was answered, one way or the other
    await asyncio.sleep(1.5)  # the bucket refills
    assert (await client.command("help"))["scene"] == "front"
    await client.close()


async def test_cross_site_origin_is_refused(game_server):
    url = game_server.replace("http", "ws", 1) + "/ws/game/"
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(url, origin="http://evil.example")


async def _frame_types_until_pong(client) -> list[str]:
    await client.send({"type": "ping"})
    types = [frame["type"] for frame in client.pending]
    client.pending.clear()
    while types[-1:] != ["pong"]:
        types.append((await client.next())["type"])
    return types


async def test_a_status_frame_identical_to_the_last_one_on_the_socket_is_left_out(game_server):
    client = await connected(game_server)
    username = await client.sign_up()  # its status frame is the socket's last one
    await client.command("status")  # shows the status bar, which has not changed
    assert "status" not in await _frame_types_until_pong(client)
    await client.command("out")  # the bar empties: a different frame, sent
    assert await client.status() is None
    await client.sign_in(username)  # back to the same bar as before: different from the last one, sent
    signed_in = await client.status()
    assert signed_in is not None and signed_in["name"] == username
    await client.close()
    # Another socket has sent nothing yet: its first status frame is sent, whatever another sent.
    other = await connected(game_server)
    await other.sign_in(username)
    assert await other.status() == signed_in
    await other.close()
