"""The game masters' admin: pinned query counts (the same at 2 million rows: no page counts or
scans a whole table), and closed to players."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.management.commands.bench_admin import admin_pages
from accounts.models import AuditEntry, Character, SetAsideWrite, User
from chat.models import ChatMessage, Report
from mudserver import admin_tools
from mudserver.admin_tools import LargeTablePaginator

ADMIN_PAGES = [
    ("/admin/", 2),
    ("/admin/accounts/character/", 3),
    ("/admin/accounts/character/?q=user1", 3),
    ("/admin/accounts/character/?band=10", 3),
    ("/admin/accounts/user/", 3),
    ("/admin/accounts/user/?q=user1", 3),
    ("/admin/accounts/auditentry/", 6),  # with the staff members to filter by
    ("/admin/accounts/setasidewrite/", 4),
    ("/admin/chat/chatmessage/", 5),
    (
        "/admin/chat/chatmessage/?created_at__gte=2026-01-01+00%3A00%3A00%2B09%3A00"
        "&created_at__lt=2026-02-01+00%3A00%3A00%2B09%3A00",
        4,
    ),  # the date filter's "this month"
    ("/admin/chat/report/", 4),
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


@pytest.fixture
def a_row_of_every_kind(characters):
    """At least one row in every table the admin lists (the game content comes from load_game_data)."""
    user = User.objects.get(username="user1x")
    ChatMessage.objects.create(channel="global", sender=user.character, sender_name=user.username, text="hello")
    ChatMessage.objects.create(
        channel="whisper", sender=user.character, sender_name=user.username, recipient_name="user2x", text="psst"
    )
    AuditEntry.objects.create(
        actor_name="gm",
        action="heal",
        target_id=user.character.pk,
        target_name=user.username,
        before={"hp": 1},
        after={"hp": 100},
    )
    Group.objects.create(name="game masters")
    Report.objects.create(
        reporter=user.character,
        reporter_name=user.username,
        target_name="user2x",
        reason="rude",
        chat=[{"at": "2026-01-01T00:00:00+00:00", "channel": "global", "from": "user2x", "to": "", "text": "x"}],
    )
    SetAsideWrite.objects.create(
        character_id=user.character.pk,
        character_name=user.username,
        values={"exp": 5_000_000_000},
        error="Out of range value for column 'exp'",
    )


def test_every_admin_page_renders_with_rows_and_needs_no_time_zone_tables(
    admin_client, admin_user, rf, a_row_of_every_kind
):
    """Every registered model's changelist (with rows), the change form of one of its rows and its
    add form, and the live pages. No query may convert time zones in the database (CONVERT_TZ, as
    the date hierarchy's truncation does): that needs zone tables, which a fresh MariaDB lacks, and
    without them such a page answers 500."""
    pages = ["/admin/", "/admin/live/online/", "/admin/live/battles/"]
    admin_request = rf.get("/admin/")
    admin_request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"no row of {model.__name__} to show"
        pages += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_change", args=[row.pk])]
        if model_admin.has_add_permission(admin_request):
            pages.append(reverse(f"{prefix}_add"))
    for url in pages:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(url)
        assert response.status_code == 200, url
        converting = [query["sql"] for query in captured if "CONVERT_TZ" in query["sql"].upper()]
        assert converting == [], url


def test_players_cannot_reach_the_admin(db):
    player = User.objects.create_user("plainplayer", "secret12")
    client = Client()
    client.force_login(player)
    for url in ("/admin/", "/admin/accounts/character/", "/admin/live/online/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_bench_admin_times_every_admin_list(admin_client, admin_user, a_row_of_every_kind):
    """bench_admin's pages come from the admin's registry: every registered model's list is timed
    (a model added later cannot be left out), with its search, filters, sorts and last page; and
    every page it would time renders."""
    pages = [url for url, _label in admin_pages(admin_user)]
    for model in admin.site._registry:
        assert reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") in pages, model
    newest = Character.objects.order_by("-pk").first().name
    characters = "/admin/accounts/character/"
    # list_display: the action checkbox, name (1), level (2), …; only name and level are sortable.
    shorter = newest[: len(newest) * 3 // 4]
    expected = [
        f"{characters}?q={newest}",
        f"{characters}?q={shorter}",
        f"{characters}?band=0",
        f"{characters}?band=90",
        f"{characters}?o=1",
        f"{characters}?o=-1",
        f"{characters}?o=2",
        f"{characters}?o=-2",
        f"{characters}?p=1",
    ]
    assert set(expected) <= set(pages)
    assert f"{characters}?o=3" not in pages  # exp has no index: not offered, not timed
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_id_block_pages_hold_every_row_once_in_order(characters):
    """An unfiltered list in id order pages by blocks of ids: the pages together are the table,
    newest first, and a deleted row leaves its page one short rather than shifting the others."""
    Character.objects.filter(name="user7x").delete()
    expected = list(Character.objects.order_by("-pk").values_list("pk", flat=True))
    paginator = LargeTablePaginator(Character.objects.order_by("-pk"), 7)
    assert paginator.count == expected[0] - expected[-1] + 1  # the id span, deleted row included
    seen = [row.pk for number in paginator.page_range for row in paginator.page(number).object_list]
    assert seen == expected
    # 30 rows, newest (user29x) first, 7 a page: user7x was on the fourth page, with user8x…user2x.
    assert [len(paginator.page(number).object_list) for number in paginator.page_range] == [7, 7, 7, 6, 2]


def test_sorted_lists_count_at_most_the_cap(characters, monkeypatch):
    monkeypatch.setattr(admin_tools, "COUNT_CAP", 20)
    paginator = LargeTablePaginator(Character.objects.order_by("level", "pk"), 7)
    assert paginator.count == 20  # of 30
    assert [character.level for character in paginator.page(3).object_list] == [15, 16, 17, 18, 19, 20]


def test_a_prefix_search_lists_its_results_by_name(admin_client, characters):
    """In the order of the index the prefix is read from (newest first, a rare prefix among millions
    could mean reading most of the table backwards)."""
    response = admin_client.get("/admin/accounts/character/?q=user1")
    names = [character.name for character in response.context["cl"].result_list]
    assert names == sorted(f"user{i}x" for i in range(30) if str(i).startswith("1"))
    response = admin_client.get("/admin/accounts/character/?q=user1&o=-2")  # a sort asked for still wins
    levels = [character.level for character in response.context["cl"].result_list]
    assert levels == sorted((1 + i for i in range(30) if str(i).startswith("1")), reverse=True)
