"""`password` changes the account's password in the game (issue 17, item 4), over a real daphne:
masked prompts, the current password judged and counted as a sign-in, the game's password rules,
and every other session of the account signed out while the one that changed it plays on."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session

from accounts.models import User
from mudserver.redis_client import get_async_redis
from tests.client import Client, connected, session_cookie
from tests.flows.test_accounts_flow import _until_offline

pytestmark = pytest.mark.usefixtures("live_db")

OLD, NEW = "secret12", "fresh345"
PROMPTS = ("password_current", "password_new", "password_again")


def _session_key(cookie: str) -> str:
    return cookie.split("=", 1)[1].rsplit(":", 1)[0]  # the page's signed value is <key>:<signature>


def _failures_key(username: str) -> str:
    return f"mud:rl:password:account:{username}"


async def test_password_change(game_server):
    # Another browser signed in and left without signing out: its session would resume the account.
    elsewhere_cookie = session_cookie(game_server)
    elsewhere = await connected(game_server, cookie=elsewhere_cookie)
    username = await elsewhere.sign_up()
    await elsewhere.close()
    await _until_offline(username)
    assert await Session.objects.filter(session_key=_session_key(elsewhere_cookie)).aexists()

    cookie = session_cookie(game_server)
    client = await connected(game_server, cookie=cookie)
    assert "Welcome back" in (await client.sign_in(username, OLD))["plain"]
    await client.next("status")
    await client.command("v")

    # Every prompt is masked; a wrong current password changes nothing, counts as a failed sign-in
    # and puts the player back where they were.
    out = await client.command("password")
    assert (out["scene"], out["input"]) == ("password_current", "password")
    out = await client.command("wrong999")
    assert out["scene"] == "village" and out["input"] == "text" and "Wrong password" in out["plain"]
    assert await get_async_redis().get(_failures_key(username)) == "1"

    await client.command("password")
    out = await client.command(OLD)
    assert (out["scene"], out["input"]) == ("password_new", "password")
    assert await get_async_redis().get(_failures_key(username)) is None  # the right one forgives, as sign-in's
    for bad, refusal in (("abc12", "does not fit"), ("abcdefgh", "does not fit"), (OLD, "your current password")):
        out = await client.command(bad)
        assert out["scene"] == "password_new" and out["input"] == "password" and refusal in out["plain"], bad
    out = await client.command(NEW)
    assert (out["scene"], out["input"]) == ("password_again", "password")
    out = await client.command(NEW + "x")
    assert out["scene"] == "password_new" and "differ" in out["plain"]
    await client.command(NEW)
    out = await client.command(NEW)
    assert out["scene"] == "village" and "Your password is changed" in out["plain"]
    user = await User.objects.aget(username=username)
    assert user.check_password(NEW) and not user.check_password(OLD)

    # The other browser's session no longer resumes (it is deleted on the way); this one plays on.
    reloaded = await Client.connect(game_server, cookie=elsewhere_cookie)
    out = await reloaded.welcome()
    assert out["scene"] == "front" and "[IN]" in out["plain"]
    assert not await Session.objects.filter(session_key=_session_key(elsewhere_cookie)).aexists()
    await reloaded.close()
    out = await client.command("2")
    assert out["scene"] == "heal"
    assert username in (await client.command("who"))["plain"]

    await client.close()
    await _until_offline(username)

    # This browser's own session was kept with the new password: a reload resumes it.
    again = await Client.connect(game_server, cookie=cookie)
    out = await again.welcome()
    assert out["scene"] == "heal" and "Welcome back" in out["plain"]
    await again.close()
    await _until_offline(username)

    # On a fresh socket the old password is refused and the new one signs in.
    fresh = await connected(game_server)
    assert "Wrong username or password" in (await fresh.sign_in(username, OLD))["plain"]
    await fresh.command("g home")
    assert "Welcome back" in (await fresh.sign_in(username, NEW))["plain"]
    await fresh.close()


@pytest.mark.parametrize("prompt", range(len(PROMPTS)))
async def test_an_empty_line_backs_out_of_every_prompt(game_server, prompt):
    client = await connected(game_server)
    username = await client.sign_up(password=OLD)
    await client.command("d")
    await client.command("enter 1")
    lines = ["password", OLD, NEW][: prompt + 1]
    for line in lines:
        out = await client.command(line)
    assert out["scene"] == PROMPTS[prompt]
    out = await client.command("")
    assert out["scene"] == "dungeon_gate" and "cancelled" in out["plain"]
    assert "[N]ormal" in out["plain"]  # the gate, which needs its dungeon from the scene's data, is shown again
    user = await User.objects.aget(username=username)
    assert user.check_password(OLD)
    await client.close()


async def test_wrong_current_passwords_limit_the_accounts_sign_in(game_server):
    limit = settings.GAME["SIGNIN_ACCOUNT_LIMIT"]
    client = await connected(game_server)
    username = await client.sign_up(password=OLD)
    for attempt in range(limit):
        await client.command("password")
        assert "Wrong password" in (await client.command(f"guess{attempt}x"))["plain"], attempt
    await client.command("password")
    out = await client.command(OLD)  # even the right one now waits
    assert out["scene"] == "front" and "Too many attempts" in out["plain"]
    assert (await User.objects.aget(username=username)).check_password(OLD)
    # The account's sign-in is limited too, from any address.
    other = await connected(game_server)
    out = await other.sign_in(username, OLD)
    assert out["scene"] == "front" and "Too many failed sign-ins" in out["plain"]
    await other.close()
    await client.close()


async def test_password_needs_a_signed_in_player(game_server):
    client = await connected(game_server)
    out = await client.command("password")
    assert out["scene"] == "front" and "Sign in first" in out["plain"]
    await client.close()


async def test_new_passwords_are_hashed_within_the_sign_up_limit(game_server):
    """Each new password typed is hashed (twice, with the check against the current one): an address
    gets as many as it gets sign-ups, which its own sign-up already drew on."""
    limit = settings.GAME["SIGNUP_ADDRESS_LIMIT"]
    client = await connected(game_server)
    username = await client.sign_up(password=OLD)
    for attempt in range(limit - 1):
        await client.command("password")
        await client.command(OLD)
        assert (await client.command(f"{NEW}{attempt}"))["scene"] == "password_again", attempt
        assert (await client.command(""))["scene"] == "front"
    await client.command("password")
    await client.command(OLD)
    out = await client.command(NEW)
    assert out["scene"] == "front" and "Too many attempts" in out["plain"]
    assert (await User.objects.aget(username=username)).check_password(OLD)
    await client.close()
