"""Fixtures shared by the flow tests."""

import asyncio
import time

import pytest
from django.test import Client

from accounts.models import User
from chat import channels
from mudserver.redis_client import get_async_redis
from tests.client import unique


@pytest.fixture
def admin_browser(live_db) -> Client:
    """A superuser's browser on the admin, in English whatever the default."""
    game_master = User.objects.create_superuser(unique("gm"), "gm-secret-1")
    browser = Client(headers={"accept-language": "en"})
    browser.force_login(game_master)
    browser.game_master = game_master
    return browser


@pytest.fixture
async def quiet_chat():
    """Shard numbers and histories depend on who chatted before: start from empty channels."""
    r = get_async_redis()
    deadline = time.monotonic() + 10
    while await r.scard(channels.ALL_KEY):
        assert time.monotonic() < deadline, "players of an earlier test are still in chat"
        await asyncio.sleep(0.2)
    async for key in r.scan_iter("mud:chat:h:*"):
        await r.delete(key)
