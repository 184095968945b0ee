"""The audit trail through the admin (Django's test client): every form a staff member saves writes an
entry with who, what, when, before and after; nobody changes or deletes entries or chat messages;
deleting an account keeps its entries; the list filters by staff member, action, target and date."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEntry, Character, User
from battles.models import Dungeon, Skill
from chat.models import ChatMessage
from tests.flows.test_admin_flow import _FormFields
from village.models import NpcLine


@pytest.fixture
def player(db) -> Character:
    user = User.objects.create_user("trailplayer", "secret12")
    return Character.objects.create(user=user, name="trailplayer", hp=40)


def _save(browser, url: str, form_id: str, **changes) -> None:
    """Open a change form, change some fields as a person would, and save it."""
    page = browser.get(url)
    assert page.status_code == 200, url
    fields = _FormFields(form_id)
    fields.feed(page.content.decode())
    saved = browser.post(url, {**fields.data, **changes, "_save": "Save"})
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.status_code == 200 else url


def _only_entry(**filters) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(**filters))
    assert len(entries) == 1, entries
    return entries[0]


def test_a_character_form_edit_is_in_the_trail(admin_client, admin_user, player):
    started = timezone.now()
    _save(admin_client, f"/admin/accounts/character/{player.pk}/change/", "character_form", hp="77", kills="3")
    entry = _only_entry(action="change_character")
    assert (entry.actor_id, entry.actor_name) == (admin_user.pk, admin_user.username)
    assert (entry.target_id, entry.target_name) == (player.pk, player.name)
    assert (entry.before, entry.after) == ({"hp": 40, "kills": 0}, {"hp": 77, "kills": 3})
    assert started <= entry.created_at <= timezone.now()


def test_a_user_form_edit_is_in_the_trail_but_never_a_password(admin_client, player):
    url = f"/admin/accounts/user/{player.user_id}/"
    _save(admin_client, f"{url}change/", "user_form", username="trailrenamed", is_staff="on")
    entry = _only_entry(action="change_user")
    assert (entry.target_id, entry.target_name) == (player.pk, "trailrenamed")
    assert entry.before == {"username": "trailplayer", "is_staff": False}
    assert entry.after == {"username": "trailrenamed", "is_staff": True}

    password = {"password1": "A-new-secret-9", "password2": "A-new-secret-9"}
    assert admin_client.post(f"{url}password/", password).status_code == 302
    entry = _only_entry(action="change_password")
    hashed = User.objects.get(pk=player.user_id).password
    assert entry.target_id == player.pk and hashed not in str(entry.before) + str(entry.after)
    assert "A-new-secret-9" not in str(entry.before) + str(entry.after)


def test_adding_a_user_is_in_the_trail_without_the_password(admin_client):
    added = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "trailnewbie",
            "password1": "Fresh-secret-42",
            "password2": "Fresh-secret-42",
            "usable_password": "true",
        },
    )
    assert added.status_code == 302, added.context["adminform"].form.errors if added.status_code == 200 else ""
    entry = _only_entry(action="add_user")
    assert (entry.target_id, entry.target_name) == (None, "trailnewbie")  # a staff-to-be: no character
    assert (entry.before, entry.after) == ({"username": None}, {"username": "trailnewbie"})


def test_content_edits_are_in_the_trail(admin_client):
    line = NpcLine.objects.order_by("pk").first()
    _save(admin_client, f"/admin/village/npcline/{line.pk}/change/", "npcline_form", text_en="Hello there {name}")
    entry = _only_entry(action="change_npcline")
    assert (entry.target_id, entry.before, entry.after) == (
        line.pk,
        {"text_en": line.text_en},
        {"text_en": "Hello there {name}"},
    )

    monster = Dungeon.objects.get(number=1).monsters.order_by("kind").first()
    _save(admin_client, "/admin/battles/dungeon/1/change/", "dungeon_form", **{"monsters-0-hp": str(monster.hp + 1)})
    entry = _only_entry(action="change_monstertemplate")
    assert (entry.target_id, entry.before, entry.after) == (monster.pk, {"hp": monster.hp}, {"hp": monster.hp + 1})

    skill = Skill.objects.order_by("pk").first()  # the list's editable columns
    page = admin_client.get("/admin/battles/skill/")
    fields = _FormFields("changelist-form")
    fields.feed(page.content.decode())
    row = next(k.split("-")[1] for k, v in fields.data.items() if k.endswith("-id") and v == [str(skill.pk)])
    posted = {**fields.data, f"form-{row}-mp_cost": str(skill.mp_cost + 5), "_save": "Save"}
    assert admin_client.post("/admin/battles/skill/", posted).status_code == 302
    entry = _only_entry(action="change_skill")
    assert (entry.target_id, entry.before, entry.after) == (
        skill.pk,
        {"mp_cost": skill.mp_cost},
        {"mp_cost": skill.mp_cost + 5},
    )


def test_nobody_changes_or_deletes_an_entry_or_a_chat_message(admin_client, player):
    entry = AuditEntry.objects.create(
        actor_name="gm",
        action="heal",
        target_id=player.pk,
        target_name=player.name,
        before={"hp": 1},
        after={"hp": 100},
    )
    message = ChatMessage.objects.create(channel="global", sender=player, sender_name=player.name, text="hi")
    for prefix, row, field in (
        ("/admin/accounts/auditentry", entry, "action"),
        ("/admin/chat/chatmessage", message, "text"),
    ):
        assert admin_client.post(f"{prefix}/{row.pk}/change/", {field: "rewritten"}).status_code == 403
        assert admin_client.post(f"{prefix}/{row.pk}/delete/", {"post": "yes"}).status_code == 403
        changelist = admin_client.get(f"{prefix}/")
        assert changelist.status_code == 200 and "delete_selected" not in changelist.content.decode()
        deleting = admin_client.post(
            f"{prefix}/", {"action": "delete_selected", "_selected_action": [str(row.pk)], "index": "0", "post": "yes"}
        )
        assert deleting.status_code in (200, 302)
    assert AuditEntry.objects.get(pk=entry.pk).action == "heal"
    assert ChatMessage.objects.get(pk=message.pk).text == "hi"


def test_deleting_an_account_keeps_its_entries(admin_client, admin_user, player):
    heal = AuditEntry.objects.create(
        actor_id=admin_user.pk,
        actor_name=admin_user.username,
        action="heal",
        target_id=player.pk,
        target_name=player.name,
        before={"hp": 1},
        after={"hp": 9},
    )
    response = admin_client.post(f"/admin/accounts/user/{player.user_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=player.user_id).exists() and not Character.objects.filter(pk=player.pk).exists()
    kept = AuditEntry.objects.get(pk=heal.pk)
    assert (kept.target_id, kept.target_name, kept.after) == (player.pk, player.name, {"hp": 9})
    deletion = _only_entry(action="delete_user")
    assert (deletion.target_id, deletion.target_name, deletion.after) == (player.pk, player.name, {})
    assert deletion.before["username"] == player.name and "password" not in deletion.before


@pytest.fixture
def trail(db) -> list[AuditEntry]:
    """Entries by two staff members about two players over two months (newest first, as listed)."""
    User.objects.create_user("gm_ann", "x", is_staff=True)
    User.objects.create_user("gm_bob", "x", is_staff=True)
    now = timezone.now()
    made = [
        (0, "gm_ann", "heal", 1),
        (1, "gm_bob", "mute", 2),
        (3, "gm_ann", "mute", 2),
        (40, "gm_bob", "heal", 1),
        (45, "gm_ann", "kick", 1),
    ]
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor_name=actor,
            action=action,
            target_id=target_id,
            target_name=f"player{target_id}",
            created_at=now - timedelta(days=days),
        )
        for days, actor, action, target_id in reversed(made)  # oldest first, as an append-only trail grows
    )
    return sorted(AuditEntry.objects.all(), key=lambda e: e.created_at, reverse=True)


def _listed(browser, query: dict) -> list[int]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get("/admin/accounts/auditentry/", query)
    assert response.status_code == 200
    assert not [q for q in captured if "CONVERT_TZ" in q["sql"].upper()]
    return [entry.pk for entry in response.context["cl"].result_list]


def test_the_trail_filters_by_staff_member_action_target_and_date(admin_client, trail):
    def expected(keep) -> list[int]:
        return [entry.pk for entry in trail if keep(entry)]

    assert _listed(admin_client, {}) == expected(lambda e: True)
    assert _listed(admin_client, {"actor_name": "gm_ann"}) == expected(lambda e: e.actor_name == "gm_ann")
    assert _listed(admin_client, {"action": "mute"}) == expected(lambda e: e.action == "mute")
    assert _listed(admin_client, {"target_id": "1"}) == expected(lambda e: e.target_id == 1)
    chosen = admin_client.get("/admin/accounts/auditentry/", {"target_id": "1"}).content.decode()
    assert "player1 #1" in chosen  # the filter names the player it shows
    assert _listed(admin_client, {"q": "player2"}) == expected(lambda e: e.target_name == "player2")
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since, tomorrow = today - timedelta(days=7), today + timedelta(days=1)  # the date filter's "Past 7 days"
    dates = {"created_at__gte": since.isoformat(" "), "created_at__lt": tomorrow.isoformat(" ")}
    assert _listed(admin_client, dates) == expected(lambda e: since <= e.created_at < tomorrow)
    both = {**dates, "actor_name": "gm_bob"}
    assert _listed(admin_client, both) == expected(lambda e: since <= e.created_at and e.actor_name == "gm_bob")
    listing = admin_client.get("/admin/accounts/auditentry/")
    cl = listing.context["cl"]
    by_staff = [spec for spec in cl.filter_specs if getattr(spec, "parameter_name", "") == "actor_name"]
    staff = {str(choice["display"]) for spec in by_staff for choice in spec.choices(cl)}
    assert {"gm_ann", "gm_bob"} <= staff
    page = listing.content.decode()
    assert "?actor_name=gm_bob" in page and "?target_id=2" in page  # each row links to its filters
