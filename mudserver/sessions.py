"""Signing a Django session in and out without changing its key.

channels.auth.login() cycles the session key, but a WebSocket cannot hand the browser a new cookie,
so the page's cookie would point at a dead session after a reload. The session is created by the
page (HttpOnly, SameSite=Lax) and keeps its key; only the auth entries change.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase

AUTH_KEYS = (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY)
BACKEND = "django.contrib.auth.backends.ModelBackend"


def session_user_attach(session, user) -> None:
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()


def session_user_detach(session) -> None:
    for key in AUTH_KEYS:
        session.pop(key, None)
    session.save()


def session_lang_set(session, lang: str) -> None:
    session["lang"] = lang
    session.save()


def session_store() -> type[SessionBase]:
    """The session engine's store (settings.SESSION_ENGINE)."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_user_detach_by_key(session_key: str) -> None:
    """Sign out a session held by another browser (after a takeover)."""
    session = session_store()(session_key)
    if session.exists(session_key):
        session_user_detach(session)
