"""Sign-in that cannot be brute-forced or locked out (issue 14, GAME.md §2), over the cluster's
nginx and daphne processes: attempts reserved before the hash, one count per account however its
name is spelt, the address only from the proxy daphne trusts, a per-address limit that many honest
players share, and limits on sign-ups and account deletion."""

import asyncio

import pytest
import redis
from django.conf import settings
from django.db import connection

from accounts.models import User
from accounts.passwords import ServerBusy
from accounts.scenes import signin_password_given
from accounts.validation import username_fold
from mudserver.ratelimit import Window, window_reserve
from mudserver.redis_client import get_async_redis
from mudserver.router import Context
from tests.client import Client, connected, fresh_address, unique

pytestmark = pytest.mark.usefixtures("live_db")

GAME = settings.GAME
PASSWORD = "secret12"


def address_key(address: str) -> str:
    return f"mud:rl:password:address:{address}"


def cluster_redis(cluster) -> redis.Redis:
    return redis.Redis.from_url(cluster.redis.url, decode_responses=True)


async def signed_up(base_url: str, username: str | None = None) -> str:
    """A new account, signed up from an address of its own, then signed out."""
    client = await connected(base_url)
    username = await client.sign_up(username)
    await client.command("out")
    await client.close()
    return username


async def at_password_prompt(base_url: str, username: str, **connect) -> Client:
    client = await connected(base_url, **connect)
    await client.command("in")
    out = await client.command(username)
    assert out["scene"] == "signin_password", out
    return client


async def test_guesses_sent_together_are_judged_only_up_to_the_limit(cluster):
    username = await signed_up(cluster.url)
    # Twenty sockets, each from an address of its own, all waiting at the password prompt.
    clients = await asyncio.gather(*(at_password_prompt(cluster.url, username) for _ in range(20)))
    await asyncio.gather(*(client.send({"type": "command", "line": f"wrong{n}x"}) for n, client in enumerate(clients)))
    replies = [(await client.next("output"))["text"] for client in clients]
    judged = [text for text in replies if "Wrong username or password" in text]
    refused = [text for text in replies if "Too many failed sign-ins" in text]
    assert len(judged) == GAME["SIGNIN_ACCOUNT_LIMIT"]
    assert len(refused) == 20 - GAME["SIGNIN_ACCOUNT_LIMIT"]
    account_key = f"mud:rl:password:account:{username}"
    assert cluster_redis(cluster).get(account_key) == str(GAME["SIGNIN_ACCOUNT_LIMIT"])
    for client in clients:
        await client.close()


def _accented(username: str) -> list[str]:
    """Spellings of `username` (which starts with an e) that the database's collation reads as it."""
    rest = username[1:]
    return ["é" + rest, "É" + rest.upper(), username.upper(), "ｅ" + rest, "e\u0301" + rest]


async def test_every_spelling_of_a_name_shares_its_count(cluster):
    username = await signed_up(cluster.url, unique("e"))
    spellings = _accented(username)
    assert len(spellings) == GAME["SIGNIN_ACCOUNT_LIMIT"]
    # The database signs such a spelling in to the account itself...
    client = await at_password_prompt(cluster.url, spellings[0])
    out = await client.command(PASSWORD)
    assert "Welcome back" in out["plain"] and (await client.status())["name"] == username
    await client.close()
    # ...so failures under any spelling count against the account: after the limit's worth, even
    # the right password under the plain name waits.
    for spelling in spellings:
        client = await at_password_prompt(cluster.url, spelling)
        assert "Wrong username or password" in (await client.command("wrong999"))["plain"]
        await client.close()
    client = await at_password_prompt(cluster.url, username)
    out = await client.command(PASSWORD)
    assert out["scene"] == "front" and "Too many failed sign-ins" in out["plain"]
    await client.close()


@pytest.mark.django_db
def test_the_fold_is_the_username_columns_collation():
    """Every character of the Basic Multilingual Plane that the username column's collation weighs
    as ASCII letters and digits (or as nothing) folds to exactly those; the database is the judge."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
            " AND TABLE_NAME = %s AND COLUMN_NAME = 'username'",
            [User._meta.db_table],
        )
        (collation,) = cursor.fetchone()
        cursor.execute(
            "SELECT seq, HEX(WEIGHT_STRING(CONVERT(CHAR(seq USING utf32) USING utf8mb4) COLLATE " + collation + "))"
            " FROM seq_0_to_65535 WHERE seq NOT BETWEEN 55296 AND 57343"  # no surrogates
        )
        weights = {chr(point): weight for point, weight in cursor.fetchall()}
        ascii_of = {weights[char]: char for char in "abcdefghijklmnopqrstuvwxyz0123456789"}
        width = len(weights["a"])
        folded_wrong = []
        for char, weight in weights.items():
            parts = [weight[i : i + width] for i in range(0, len(weight), width)]
            if all(part in ascii_of for part in parts):
                expected = "".join(ascii_of[part] for part in parts)
                if username_fold(f"a{char}b") != f"a{expected}b":
                    folded_wrong.append((hex(ord(char)), expected, username_fold(char)))
        assert not folded_wrong
        # Whole names, and the collation's blindness to trailing spaces.
        for typed in ("ALICE", "alicé", "ａｌｉｃｅ", "alice  ", "Straße", "ⅫI", "①②3"):
            cursor.execute(f"SELECT %s = %s COLLATE {collation}", [typed, username_fold(typed)])
            assert cursor.fetchone() == (1,), typed


async def test_a_forged_forwarded_for_does_not_change_the_counted_address(cluster):
    """Through nginx, whatever X-Forwarded-For or X-Real-IP a client sends, its failures count on
    the address nginx saw: the per-address limit closes it after its limit, then backs off."""
    address = fresh_address()
    limit, per_socket = GAME["SIGNIN_ADDRESS_LIMIT"], GAME["SIGNIN_ACCOUNT_LIMIT"]
    forged = [f"10.{n // 250}.{n % 250}.7" for n in range(limit // per_socket + 1)]
    for n, fake in enumerate(forged[:-1]):
        client = await connected(cluster.url, address=address, headers={"X-Forwarded-For": fake, "X-Real-IP": fake})
        await client.command("in")
        for _attempt in range(per_socket):  # a failure asks for the username again
            await client.command(unique("nobody"))
            assert "Wrong username or password" in (await client.command("wrong999"))["plain"], n
        await client.close()
    client = await connected(cluster.url, address=address, headers={"X-Forwarded-For": forged[-1]})
    await client.command("in")
    await client.command(unique("nobody"))
    out = await client.command("wrong999")
    backoff = GAME["SIGNIN_ADDRESS_BACKOFF"]
    assert out["scene"] == "front" and f"Try again in {backoff} seconds" in out["plain"]
    await client.close()
    store = cluster_redis(cluster)
    assert 0 < store.ttl(address_key(address) + ":closed") <= backoff
    assert not any(store.exists(address_key(fake)) for fake in forged)


async def test_daphne_ignores_the_headers_of_a_peer_it_does_not_trust(cluster):
    address = fresh_address()
    headers = {"X-Forwarded-For": "10.200.0.1", "X-Real-IP": "10.200.0.2"}
    client = await connected(cluster.web_url("web1"), address=address, headers=headers)
    await client.command("in")
    await client.command(unique("nobody"))
    assert "Wrong username or password" in (await client.command("wrong999"))["plain"]
    await client.close()
    store = cluster_redis(cluster)
    assert store.get(address_key(address)) == "1"
    assert not store.exists(address_key("10.200.0.1")) and not store.exists(address_key("10.200.0.2"))


async def test_players_behind_one_address_sign_in_after_others_typos(cluster):
    """A PC방: ten players on one address each mistype their password once; every one of them then
    signs in, and only the typos stay counted on the address."""
    usernames = [await signed_up(cluster.url) for _ in range(10)]
    shared = fresh_address()
    for username in usernames:
        client = await at_password_prompt(cluster.url, username, address=shared)
        assert "Wrong username or password" in (await client.command("wrong999"))["plain"]
        await client.close()
    for username in usernames:
        client = await at_password_prompt(cluster.url, username, address=shared)
        assert "Welcome back" in (await client.command(PASSWORD))["plain"], username
        await client.close()
    assert cluster_redis(cluster).get(address_key(shared)) == str(len(usernames))


async def test_sign_ups_from_one_address_are_throttled(cluster):
    address, limit = fresh_address(), GAME["SIGNUP_ADDRESS_LIMIT"]
    client = await connected(cluster.url, address=address)
    for n in range(limit):
        if n and n % 10 == 0:  # a few sockets, as a script would use, all from the one address
            await client.close()
            client = await connected(cluster.url, address=address)
        await client.command("up")
        await client.command(unique("flood"))
        assert (await client.command(PASSWORD))["scene"] == "character_name", n
        await client.command("g home")
    await client.command("up")
    await client.command(unique("flood"))
    out = await client.command(PASSWORD)
    assert out["scene"] == "front" and "Too many attempts" in out["plain"]
    await client.close()


async def test_delete_attempts_are_throttled(cluster):
    client = await connected(cluster.url)
    username = await client.sign_up()
    for _attempt in range(GAME["SIGNIN_ACCOUNT_LIMIT"]):
        assert (await client.command("delete"))["scene"] == "delete_confirm"
        assert "Wrong password; nothing was deleted" in (await client.command("wrong999"))["plain"]
    await client.command("delete")
    out = await client.command(PASSWORD)  # the right one, after too many wrong ones: nothing happens
    assert out["scene"] == "front" and "Too many attempts" in out["plain"] and "Nothing was deleted" in out["plain"]
    await client.close()
    assert await User.objects.filter(username=username).aexists()


async def test_an_attempt_the_server_is_too_busy_to_judge_is_not_counted(settings):
    """A sign-in storm fills the hashing queue: the attempts it turns away cost nobody a place."""
    settings.GAME = {**settings.GAME, "HASH_QUEUE_LIMIT": 0}
    username, address = unique("busy"), "198.51.100.7"
    ctx = Context(connection=None, lang="en", data={"username": username}, ip=address)
    for _attempt in range(GAME["SIGNIN_ACCOUNT_LIMIT"] + 1):
        with pytest.raises(ServerBusy):
            await signin_password_given(ctx, "wrong999")
    store = get_async_redis()
    assert await store.get(f"mud:rl:password:account:{username}") == "0"
    assert await store.get(address_key(address)) == "0"


async def test_an_address_that_keeps_filling_its_window_waits_twice_as_long_each_time():
    """The mechanism behind the per-address limit, on a window of 3 with a backoff of 10 s to 25 s."""
    window = Window(f"mud:test:backoff:{unique()}", 3, 300, backoff=10, backoff_max=25, backoff_memory=600)
    store = get_async_redis()
    waits = []
    for _round in range(4):
        waits.append([await window_reserve(window) for _attempt in range(4)])
        assert await store.ttl(window.key + ":closed") == waits[-1][-1]
        await store.delete(window.key + ":closed")  # as if the wait were over
    assert waits == [[0, 0, 0, 10], [0, 0, 0, 20], [0, 0, 0, 25], [0, 0, 0, 25]]
    assert 590 <= await store.ttl(window.key + ":level") <= 600
