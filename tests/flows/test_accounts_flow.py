"""Sign-up, sign-in, sign-out and delete over a real WebSocket against a real daphne (GAME.md §2)."""

import asyncio

import pytest
import websockets
from django.conf import settings
from django.contrib.sessions.models import Session

from accounts.models import Character, User
from mudserver.presence import ONLINE_KEY
from mudserver.redis_client import get_async_redis
from tests.client import Client, connected, fresh_address, session_cookie, unique

pytestmark = pytest.mark.usefixtures("live_db")


async def _until_offline(name: str, timeout: float = 5) -> None:
    """Until a player who disconnected is no longer online (the server's goodbye takes a moment).
    The online set itself, not `who`'s first page, which need not list the name."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await get_async_redis().zscore(ONLINE_KEY, name) is not None:
        assert asyncio.get_running_loop().time() < deadline, f"{name} is still online"
        await asyncio.sleep(0.1)


async def test_title_screen_on_connect(game_server):
    client = await Client.connect(game_server)
    output = await client.next("output")
    assert output["scene"] == "front" and output["input"] == "text"
    assert "[IN]" in output["text"] and "[UP]" in output["text"]
    assert (await client.next("status"))["character"] is None
    await client.close()


async def test_sign_up_creates_a_fresh_character(game_server):
    client = await connected(game_server)
    name = unique("new")
    assert (await client.command("UP"))["scene"] == "signup_username"
    out = await client.command(name.upper())  # usernames are case-insensitive
    assert out["scene"] == "signup_password" and out["input"] == "password"
    out = await client.command("abc123")
    assert out["scene"] == "character_name" and out["input"] == "text"
    out = await client.command(name)
    assert out["scene"] == "front" and "[V]illage" in out["plain"]
    status = await client.status()
    assert status == {
        "name": name,
        "level": 1,
        "hp": 100,
        "max_hp": 100,
        "mp": 100,
        "max_mp": 100,
        "exp": 0,
        "exp_next": 50,
        "attack": 10,
        "defense": 10,
        "weapon_level": 1,
    }
    character = await Character.objects.select_related("user").aget(name=name)
    assert character.user.username == name.lower() and character.user.password.startswith("argon2$argon2id$")
    await client.close()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", "is not a valid username"),
        ("1abc", "is not a valid username"),
        ("abcdefghijklmnopq", "is not a valid username"),
        ("ab_cd", "is not a valid username"),
        ("help", "Commands here"),
        ("", "is not a valid username"),
    ],
)
async def test_username_validation(game_server, bad, message):
    client = await connected(game_server)
    await client.command("up")
    out = await client.command(bad)
    assert out["scene"] == "signup_username" and message in out["plain"]
    await client.close()


async def test_username_taken_case_insensitively(game_server):
    client = await connected(game_server)
    taken = await client.sign_up()
    other = await connected(game_server)
    await other.command("up")
    out = await other.command(taken.upper())
    assert out["scene"] == "signup_username" and "is taken" in out["plain"]
    await client.close()
    await other.close()


@pytest.mark.parametrize("bad", ["abc12", "abcdefgh", "12345678", "a1" * 33])
async def test_password_validation(game_server, bad):
    client = await connected(game_server)
    await client.command("up")
    await client.command(unique())
    out = await client.command(bad)
    assert out["scene"] == "signup_password" and "does not fit" in out["plain"]
    assert out["input"] == "password"
    await client.close()


async def test_password_prompt_takes_g_home_as_a_password_and_empty_line_cancels(game_server):
    client = await connected(game_server)
    await client.command("up")
    await client.command(unique())
    out = await client.command("g home")
    assert out["scene"] == "signup_password" and "does not fit" in out["plain"]
    out = await client.command("")
    assert out["scene"] == "front" and "cancelled" in out["plain"]
    await client.close()


async def _at_character_name(game_server) -> Client:
    client = await connected(game_server)
    for line in ("up", unique(), "abc123"):
        await client.command(line)
    return client


@pytest.mark.parametrize("bad", ["abc", "Ab_cd", "한", "한abc", "abc한글", "가나다라마바사아자차", "1한글"])
async def test_character_name_validation(game_server, bad):
    client = await _at_character_name(game_server)
    out = await client.command(bad)
    assert out["scene"] == "character_name" and "can't be a character name" in out["plain"]
    await client.close()


async def test_korean_character_name_and_unique_names(game_server):
    client = await connected(game_server)
    korean = "용사" + str(abs(hash(unique())) % 10000)
    await client.sign_up(name=korean)
    other = await _at_character_name(game_server)
    out = await other.command(korean)
    assert out["scene"] == "character_name" and "is taken" in out["plain"]
    await client.close()
    await other.close()


async def test_sign_in_sign_out_and_wrong_password(game_server):
    client = await connected(game_server)
    username = await client.sign_up()
    out = await client.command("out")
    assert out["scene"] == "front" and "signed out" in out["plain"]
    assert await client.status() is None
    out = await client.sign_in(username, "wrong999")
    assert out["scene"] == "signin_username" and "Wrong username or password" in out["plain"]
    out = await client.command(username.upper())
    assert out["scene"] == "signin_password" and out["input"] == "password"
    out = await client.command("secret12")
    assert out["scene"] == "front" and "Welcome back" in out["plain"]
    assert (await client.status())["name"] == username
    out = await client.command("g out")
    assert out["scene"] == "front" and "signed out" in out["plain"]
    out = await client.command("g out")
    assert "not signed in" in out["plain"]
    await client.close()


async def test_failed_sign_ins_are_throttled_per_username(game_server):
    client = await connected(game_server)
    username = await client.sign_up()
    await client.command("out")
    for _attempt in range(5):
        out = await client.sign_in(username, "wrong999")
        assert "Wrong username or password" in out["plain"]
        await client.command("g home")
    out = await client.sign_in(username, "secret12")  # even the right password waits now
    assert out["scene"] == "front" and "Too many failed sign-ins" in out["plain"]
    await client.close()


async def test_failed_sign_ins_are_throttled_per_address(game_server):
    address = fresh_address()
    client = await connected(game_server, address=address)
    await client.command("in")
    for _attempt in range(settings.GAME["SIGNIN_ADDRESS_LIMIT"]):  # each failure asks for a username again
        await client.command(unique("nobody"))
        assert "Wrong username or password" in (await client.command("wrong999"))["plain"]
    await client.close()
    client = await connected(game_server, address=address)
    out = await client.sign_in(unique("nobody"), "wrong999")
    assert out["scene"] == "front" and "Too many failed sign-ins" in out["plain"]
    await client.close()
    elsewhere = await connected(game_server)
    out = await elsewhere.sign_in(unique("nobody"), "wrong999")
    assert "Wrong username or password" in out["plain"]
    await elsewhere.close()


async def test_signed_in_front_menu_refuses_sign_in_and_anonymous_refuses_village(game_server):
    client = await connected(game_server)
    for line in ("v", "d", "out", "delete"):
        out = await client.command(line)
        assert out["scene"] == "front" and "Sign in first" in out["plain"]
    await client.sign_up()
    for line in ("in", "up"):
        out = await client.command(line)
        assert out["scene"] == "front" and "already signed in" in out["plain"]
    await client.close()


async def test_delete_asks_for_the_password(game_server):
    client = await connected(game_server)
    username = await client.sign_up()
    out = await client.command("delete")
    assert out["scene"] == "delete_confirm" and out["input"] == "password"
    out = await client.command("wrong999")
    assert out["scene"] == "front" and "nothing was deleted" in out["plain"]
    await client.command("delete")
    out = await client.command("")
    assert out["scene"] == "front" and "Nothing was deleted" in out["plain"]
    assert await User.objects.filter(username=username).aexists()
    await client.command("탈퇴")
    out = await client.command("secret12")
    assert out["scene"] == "front" and "deleted" in out["plain"] and "[UP]" in out["plain"]
    assert await client.status() is None
    assert not await User.objects.filter(username=username).aexists()
    assert not await Character.objects.filter(name=username).aexists()
    out = await client.sign_in(username)
    assert "Wrong username or password" in out["plain"]
    await client.close()


async def test_second_sign_in_takes_over(game_server):
    first = await connected(game_server)
    username = await first.sign_up()
    second = await connected(game_server)
    out = await second.sign_in(username)
    assert out["scene"] == "front"
    told = await first.until(lambda f: "signed in from another place" in f["plain"])
    assert told["scene"] == "front"  # where the older connection was
    assert told["plain"] == "This account has just signed in from another place; this connection is closed."
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:  # frames already on their way (chat) may come before the close
            await first.next(timeout=5)
    assert closed.value.rcvd.code == 4001
    out = await second.command("who")
    assert username in out["plain"]
    await second.close()


async def test_reload_resumes_the_scene(game_server):
    cookie = session_cookie(game_server)
    client = await connected(game_server, cookie=cookie)
    username = await client.sign_up()
    await client.command("v")
    await client.command("2")
    await client.close()
    await asyncio.sleep(0.2)
    again = await Client.connect(game_server, cookie=cookie)
    out = await again.welcome()
    assert out["scene"] == "heal" and "Welcome back" in out["plain"]
    out = await again.command("3")
    assert out["scene"] == "village"
    await again.close()
    await _until_offline(username)


async def test_sign_in_stores_the_browser_session_and_makes_none_without_one(game_server):
    cookie = session_cookie(game_server)
    session_key = cookie.split("=", 1)[1].rsplit(":", 1)[0]  # the page's signed value is <key>:<signature>
    browser = await connected(game_server, cookie=cookie)
    username = await browser.sign_up()
    user = await User.objects.aget(username=username)
    session = await Session.objects.aget(session_key=session_key)
    assert session.get_decoded()["_auth_user_id"] == str(user.pk)
    await browser.command("out")
    assert not await Session.objects.filter(session_key=session_key).aexists()
    await browser.close()
    # Another client of the protocol, without the page's cookie: nothing it could ever use is written.
    sessions = await Session.objects.acount()
    client = await connected(game_server)
    assert "Signed in" in (await client.sign_in(username))["plain"]
    await client.command("lang ko")
    await client.command("out")
    assert await Session.objects.acount() == sessions
    await client.close()


async def test_reload_after_sign_out_shows_the_title(game_server):
    cookie = session_cookie(game_server)
    client = await connected(game_server, cookie=cookie)
    await client.sign_up()
    await client.command("out")
    await client.close()
    again = await Client.connect(game_server, cookie=cookie)
    out = await again.welcome()
    assert out["scene"] == "front" and "[IN]" in out["plain"]
    await again.close()


@pytest.mark.parametrize(
    ("alias", "scene"),
    [
        ("in", "signin_username"),
        ("I", "signin_username"),
        ("로그인", "signin_username"),
        ("UP", "signup_username"),
        ("u", "signup_username"),
        ("가입", "signup_username"),
        ("회원가입", "signup_username"),
        ("h", "front"),
        ("HELP", "front"),
        ("도움말", "front"),
        ("g help", "front"),
        ("who", "front"),
    ],
)
async def test_title_aliases(game_server, alias, scene):
    client = await connected(game_server)
    assert (await client.command(alias))["scene"] == scene
    await client.close()


@pytest.mark.parametrize(
    ("alias", "scene"),
    [
        ("O", "front"),
        ("로그아웃", "front"),
        ("delete", "delete_confirm"),
        ("V", "village"),
        ("마을", "village"),
        ("D", "dungeon"),
        ("던전", "dungeon"),
    ],
)
async def test_main_menu_aliases(game_server, alias, scene):
    client = await connected(game_server)
    await client.sign_up()
    assert (await client.command(alias))["scene"] == scene
    await client.close()


async def test_takeover_signs_the_older_browser_out(game_server):
    old_cookie, new_cookie = session_cookie(game_server), session_cookie(game_server)
    old = await connected(game_server, cookie=old_cookie)
    username = await old.sign_up()
    new = await connected(game_server, cookie=new_cookie)
    await new.sign_in(username)
    await new.next("status")
    await asyncio.sleep(0.2)
    reloaded = await Client.connect(game_server, cookie=old_cookie)  # the old browser reloads
    out = await reloaded.welcome()
    assert out["scene"] == "front" and "[IN]" in out["plain"]
    assert username in (await new.command("who"))["plain"]  # and did not take the account back
    await reloaded.close()
    await new.close()
