"""Fixtures shared by the flow tests."""

import pytest
from django.test import Client

from accounts.models import User
from tests.client import unique


@pytest.fixture
def admin_browser(live_db) -> Client:
    """A superuser's browser on the admin, in English whatever the default."""
    game_master = User.objects.create_superuser(unique("gm"), "gm-secret-1")
    browser = Client(headers={"accept-language": "en"})
    browser.force_login(game_master)
    browser.game_master = game_master
    return browser
