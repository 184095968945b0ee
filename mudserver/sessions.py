"""The game's sessions: named by the page, stored at sign-in over the socket, deleted at sign-out.

An anonymous page load stores nothing: the page hands the browser a signed cookie that names the
session to be (GAME_SESSION_COOKIE_NAME, HttpOnly). A WebSocket cannot hand out a cookie, so the key
cannot be changed at sign-in as django.contrib.auth.login() does against session fixation. Instead:
- only a key this server made and signed is accepted, so a client cannot choose one, and Django's
  own session cookie (the admin's) resumes nothing over the socket;
- a key that already names another user's session is never written over (a sign-in under it stores
  nothing), and sign-out, a sign-in elsewhere and a ban delete a session only if it is that user's;
- what remains is a cookie planted in the victim's browser: in production the cookie is __Host-
  prefixed (settings.prod), which a subdomain or a plain-HTTP answer cannot set.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, SessionBase
from django.core.signing import BadSignature, Signer
from django.utils.crypto import get_random_string

BACKEND = "django.contrib.auth.backends.ModelBackend"
KEY_LENGTH = 32  # as Django's own session keys
SALT = "mudserver.sessions.game"  # a signature made for anything else (another salt) is not one of these


def _signer() -> Signer:
    return Signer(salt=SALT)  # SECRET_KEY, and SECRET_KEY_FALLBACKS while a key is being rotated


def session_store() -> type[SessionBase]:
    """The session engine's store (settings.SESSION_ENGINE)."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_cookie_value(cookie: str | None) -> str:
    """The page's cookie: the one the browser sent if this server signed it, else a new key signed.
    Nothing is stored (a random key of 32 characters needs no check against the stored ones)."""
    if session_key_of_cookie(cookie) is not None:
        return cookie
    return _signer().sign(get_random_string(KEY_LENGTH, VALID_KEY_CHARS))


def session_key_of_cookie(cookie: str | None) -> str | None:
    """The session key a cookie names, if this server signed it; anything else names none."""
    if not cookie:
        return None
    try:
        return _signer().unsign(cookie)
    except BadSignature:
        return None


def session_user_store(session_key: str, user, lang: str) -> bool:
    """Store the signed-in session under the page's key. False, storing nothing, when the key already
    names another user's session: that session stays its owner's."""
    session = session_store()(session_key)
    session.clear()  # written whole: nothing to load first
    session.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            "lang": lang,
        }
    )
    try:
        session.save(must_create=True)  # one insert, atomic: of two sign-ins under one key, one creates
        return True
    except CreateError:
        pass
    if session_store()(session_key).get(SESSION_KEY) != str(user.pk):
        return False
    session.save()  # the user's own session (another tab, a connection that did not resume)
    return True


def session_user_end(session_key: str, user_id: int) -> None:
    """Delete the session (its row and its cached copy) if it is this user's: sign-out, a sign-in
    elsewhere, a ban. Another user's session under the same key is left alone."""
    session = session_store()(session_key)
    if session.get(SESSION_KEY) == str(user_id):
        session.delete(session_key)


def session_lang_set(session_key: str, user_id: int, lang: str) -> None:
    session = session_store()(session_key)
    if session.get(SESSION_KEY) == str(user_id):
        session["lang"] = lang
        session.save()
