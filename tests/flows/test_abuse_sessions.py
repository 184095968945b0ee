"""Issue 14, sessions (PROTOCOL.md, Resuming): an anonymous page load stores nothing, the page's cookie
is a key the server signed, sign-in stores the session under it, sign-out deletes it, and a client
can neither choose the key nor take over a session another user stored under it."""

import http.cookiejar
import secrets
import string
import urllib.request

import pytest
import redis
import websockets
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import signing

from accounts.models import User
from tests.client import Client, connected, session_cookie, unique
from tests.flows.test_db_connections import _admin_signed_in

pytestmark = pytest.mark.usefixtures("live_db")

COOKIE = "mud_session"  # the test settings' name (plain HTTP)
PAGE_LOADS = 100


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _cached_sessions() -> int:
    """Session copies in the Redis cache (Django's cached_db engine names them after its module)."""
    return sum(1 for _key in _redis().scan_iter(match="*django.contrib.sessions*", count=1000))


def _page_cookie(base_url: str, cookie: str | None = None) -> str:
    """Load the page (sending `cookie`, a value of the page's cookie) and return the value of the
    cookie it sets."""
    request = urllib.request.Request(base_url + "/", headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    jar = http.cookiejar.CookieJar()
    urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(request).read()
    [set_] = list(jar)
    return set_.value


def _key(cookie_header: str) -> str:
    """The session key that the page's cookie (`name=value`) names: a signed value is `<key>:<signature>`."""
    return cookie_header.split("=", 1)[1].rsplit(":", 1)[0]


async def _stored(key: str) -> dict | None:
    session = await Session.objects.filter(session_key=key).afirst()
    return session.get_decoded() if session else None


def _cached(key: str) -> bool:
    return any(True for _key in _redis().scan_iter(match=f"*{key}*"))


def _chosen_key() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(32))


async def test_anonymous_page_loads_store_no_session(game_server):
    rows, cached = await Session.objects.acount(), _cached_sessions()
    cookies = {_page_cookie(game_server) for _ in range(PAGE_LOADS)}
    assert len(cookies) == PAGE_LOADS  # a name of its own for each visitor
    assert (await Session.objects.acount(), _cached_sessions()) == (rows, cached)


async def test_a_visitor_who_connects_and_switches_language_stores_nothing(game_server):
    rows, cached = await Session.objects.acount(), _cached_sessions()
    cookie = session_cookie(game_server)
    client = await connected(game_server, cookie=cookie)
    assert (await client.command("lang ko"))["plain"] == "언어: 한국어"
    assert "도움말" in (await client.command("help"))["plain"]  # the connection keeps it
    await client.close()
    assert (await Session.objects.acount(), _cached_sessions()) == (rows, cached)


async def test_sign_in_stores_the_session_and_sign_out_deletes_it(game_server):
    cookie = session_cookie(game_server)
    key = _key(cookie)
    client = await connected(game_server, cookie=cookie)
    username = await client.sign_up()
    user = await User.objects.aget(username=username)
    assert (await _stored(key))["_auth_user_id"] == str(user.pk) and _cached(key)
    await client.close()
    again = await Client.connect(game_server, cookie=cookie)
    assert f"Welcome back, {username}." in (await again.welcome())["plain"]
    assert (await again.command("out"))["scene"] == "front"
    assert await _stored(key) is None and not _cached(key)
    await again.close()
    reloaded = await Client.connect(game_server, cookie=cookie)
    out = await reloaded.welcome()
    assert out["scene"] == "front" and "[IN]" in out["plain"]
    await reloaded.close()


async def test_a_forged_or_unsigned_cookie_names_no_session(game_server):
    genuine = _page_cookie(game_server)
    assert _page_cookie(game_server, genuine) == genuine  # the page keeps a name it signed
    chosen = _chosen_key()
    signature = genuine.rsplit(":", 1)[1]
    forged = [
        chosen,  # unsigned
        f"{chosen}:{signature}",  # another key's signature
        f"{chosen}:{signature[::-1]}",
        signing.Signer(salt="django.contrib.sessions").sign(chosen),  # our secret, another purpose
        signing.Signer(key="not-the-servers-secret", salt="mudserver.sessions.game").sign(chosen),
        signing.dumps(chosen),
    ]
    signer_up = await connected(game_server)
    username = await signer_up.sign_up()
    await signer_up.close()
    for value in forged:
        assert _page_cookie(game_server, value) != value  # the page hands out a name of its own instead
        rows = await Session.objects.acount()
        client = await connected(game_server, cookie=f"{COOKIE}={value}; sessionid={chosen}")
        assert "Signed in" in (await client.sign_in(username))["plain"]
        assert await Session.objects.acount() == rows and await _stored(chosen) is None, value
        await client.close()
        reloaded = await Client.connect(game_server, cookie=f"{COOKIE}={value}; sessionid={chosen}")
        out = await reloaded.welcome()
        assert out["scene"] == "front" and "[IN]" in out["plain"], value
        await reloaded.close()


def test_the_admin_sign_in_stores_its_session_as_before(game_server, live_db):
    master = User.objects.create_superuser(unique("gm"), "gm-secret-1")
    before = set(Session.objects.values_list("session_key", flat=True))
    _admin_signed_in(game_server, master.username, "gm-secret-1")
    [added] = Session.objects.exclude(session_key__in=before)
    assert added.get_decoded()["_auth_user_id"] == str(master.pk)


async def test_a_django_session_cookie_does_not_resume_over_the_socket(game_server):
    """The socket reads the page's signed cookie only: a session stored under a key the server did
    not hand out for the game (the admin's, say) gives nothing, even when it is signed in."""
    cookie = session_cookie(game_server)
    key = _key(cookie)
    owner = await connected(game_server, cookie=cookie)
    username = await owner.sign_up()
    await owner.close()
    for header in (f"sessionid={key}", f"{COOKIE}={key}"):
        client = await Client.connect(game_server, cookie=header)
        out = await client.welcome()
        assert out["scene"] == "front" and "Welcome back" not in out["plain"], header
        await client.close()
    assert (await _stored(key))["_auth_user_id"] == str((await User.objects.aget(username=username)).pk)


async def test_a_key_naming_another_users_session_is_not_taken_over(game_server):
    """Two connections carrying one signed key (a copied or planted cookie): the first to sign in
    stores its session under it; the other account's sign-in, sign-out and takeover under the same
    key neither write over that session nor delete it."""
    cookie = session_cookie(game_server)
    key = _key(cookie)
    first, second = await connected(game_server, cookie=cookie), await connected(game_server, cookie=cookie)
    owner = await first.sign_up()
    owner_id = str((await User.objects.aget(username=owner)).pk)
    other = await second.sign_up()
    assert (await _stored(key))["_auth_user_id"] == owner_id
    assert (await second.command("out"))["scene"] == "front"
    assert (await _stored(key))["_auth_user_id"] == owner_id
    assert "Signed in" in (await second.sign_in(other))["plain"]
    assert (await _stored(key))["_auth_user_id"] == owner_id
    elsewhere = await connected(game_server)  # the other account signs in elsewhere: a takeover
    assert "Signed in" in (await elsewhere.sign_in(other))["plain"]
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await second.next(timeout=5)
    assert closed.value.rcvd.code == 4001
    assert (await _stored(key))["_auth_user_id"] == owner_id
    for client in (first, elsewhere):
        await client.close()
