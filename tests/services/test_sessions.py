"""Sessions live in the database behind the Redis cache (issue 9: a Redis restart signs nobody out)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.utils import timezone

from accounts.models import User
from accounts.tasks import sessions_clear
from mudserver.sessions import session_cookie_value, session_key_of_cookie, session_store, session_user_store
from tests.client import unique

pytestmark = pytest.mark.usefixtures("live_db")


def test_a_signed_in_session_outlives_its_cached_copy_until_it_expires():
    user = User.objects.create(username=unique("ss"))
    key = session_key_of_cookie(session_cookie_value(None))
    assert session_user_store(key, user, "en")
    caches[settings.SESSION_CACHE_ALIAS].delete(session_store()(key).cache_key)  # as a Redis restart does
    assert session_store()(key)[SESSION_KEY] == str(user.pk)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    sessions_clear()
    assert not Session.objects.filter(session_key=key).exists()
