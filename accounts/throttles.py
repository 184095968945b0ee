"""The limits on password hashing (GAME.md §2): sign-in, account deletion and the current password of
`password` per account and per address; sign-up and the new password of `password` per address. An
attempt reserves its place before the hash, so that attempts sent together cannot all be judged; the
numbers and why they are what they are: settings.GAME."""

from django.conf import settings

from accounts.validation import username_fold
from mudserver.ratelimit import Window, window_clear, window_release, window_reserve


def _account_window(username: str) -> Window:
    game = settings.GAME
    # The key is at most 64 characters of the folded name (no username is longer than 16).
    key = f"mud:rl:password:account:{username_fold(username)[:64]}"
    return Window(key, game["SIGNIN_ACCOUNT_LIMIT"], game["SIGNIN_ACCOUNT_WINDOW"])


def _address_window(address: str) -> Window:
    game = settings.GAME
    return Window(
        f"mud:rl:password:address:{address}",
        game["SIGNIN_ADDRESS_LIMIT"],
        game["SIGNIN_ADDRESS_WINDOW"],
        backoff=game["SIGNIN_ADDRESS_BACKOFF"],
        backoff_max=game["SIGNIN_ADDRESS_BACKOFF_MAX"],
        backoff_memory=game["SIGNIN_ADDRESS_BACKOFF_MEMORY"],
    )


async def password_attempt_reserve(*, username: str, address: str) -> int:
    """0 when the attempt may hash the password (and then counts as a failure until it succeeds),
    else the seconds to wait."""
    return await window_reserve(_account_window(username), _address_window(address))


async def password_attempt_succeeded(*, username: str, address: str) -> None:
    """The right password: the account's failures are forgiven and the address gets its place back."""
    await window_clear(_account_window(username).key)
    await window_release(_address_window(address).key)


async def password_attempt_unmade(*, username: str, address: str) -> None:
    """The server was too busy to hash the password: the attempt counts on neither."""
    await window_release(_account_window(username).key, _address_window(address).key)


async def signup_attempt_reserve(*, address: str) -> int:
    """0 when a new password may be hashed (a sign-up's, or one chosen with `password`), else the
    seconds to wait."""
    game = settings.GAME
    return await window_reserve(
        Window(f"mud:rl:signup:address:{address}", game["SIGNUP_ADDRESS_LIMIT"], game["SIGNUP_ADDRESS_WINDOW"])
    )
