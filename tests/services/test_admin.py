"""The game masters' admin: pinned query counts (the same at 2 million rows: no page counts or
scans a whole table), and closed to players."""

import pytest
from django.test import Client

from accounts.models import Character, User

ADMIN_PAGES = [
    ("/admin/", 2),
    ("/admin/accounts/character/", 3),
    ("/admin/accounts/character/?q=user1", 3),
    ("/admin/accounts/character/?band=10", 3),
    ("/admin/accounts/user/", 3),
    ("/admin/accounts/user/?q=user1", 3),
    ("/admin/accounts/auditentry/", 5),
    ("/admin/chat/chatmessage/", 7),
    ("/admin/live/online/", 1),
    ("/admin/live/battles/", 1),
    ("/admin/battles/monstertemplate/", 5),
    ("/admin/village/npcline/", 4),
]


@pytest.fixture
def characters(db):
    for i in range(30):
        user = User.objects.create(username=f"user{i}x")
        Character.objects.create(user=user, name=f"user{i}x", level=1 + i)


@pytest.mark.parametrize(("url", "queries"), ADMIN_PAGES)
def test_admin_pages_render_with_pinned_queries(admin_client, characters, django_assert_num_queries, url, queries):
    with django_assert_num_queries(queries):
        response = admin_client.get(url)
    assert response.status_code == 200


def test_players_cannot_reach_the_admin(db):
    player = User.objects.create_user("plainplayer", "secret12")
    client = Client()
    client.force_login(player)
    for url in ("/admin/", "/admin/accounts/character/", "/admin/live/online/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
