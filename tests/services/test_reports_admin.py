"""Player reports in the admin (Django's test client): only staff with `handle_reports` (the
Moderator and Game master roles, or a superuser) see them, open ones first, with the chat kept
read-only; closing one is audited; nobody adds, edits or deletes one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from chat.models import Report
from tests.services.test_gm_roles import _staff

pytestmark = pytest.mark.django_db

LIST = "/admin/chat/report/"


@pytest.fixture
def reports() -> tuple[Report, Report]:
    now = timezone.now()
    chat = [{"at": now.isoformat(), "channel": "global-1", "from": "rudeone", "to": "", "text": "a <b>rude</b> line"}]
    closed = Report.objects.create(
        reporter_name="victim", target_name="rudeone", reason="old", is_open=False, closed_at=now, created_at=now
    )
    opened = Report.objects.create(
        reporter_name="victim", target_name="rudeone", reason="insults", chat=chat, created_at=now - timedelta(hours=1)
    )
    return opened, closed


def _close(browser, *rows: Report):
    return browser.post(
        LIST,
        {"action": "close_reports", "_selected_action": [str(r.pk) for r in rows], "select_across": "0", "index": "0"},
        follow=True,
    )


def test_staff_without_the_permission_see_no_reports(reports):
    opened, _closed = reports
    browser = _staff("viewer2", "accounts.view_character", "chat.view_chatmessage")
    assert browser.get(LIST).status_code == 403
    assert browser.get(f"{LIST}{opened.pk}/change/").status_code == 403
    assert b"/admin/chat/report/" not in browser.get("/admin/").content
    assert _close(browser, opened).status_code == 403
    opened.refresh_from_db()
    assert opened.is_open and not AuditEntry.objects.filter(action="close_report").exists()


@pytest.mark.parametrize("role", ["Moderator", "Game master"])
def test_a_moderator_sees_open_reports_first_and_closes_them(reports, role):
    opened, closed = reports
    browser = _staff(f"mod{role[0]}", role=role)
    page = browser.get(LIST)
    assert page.status_code == 200
    assert [row.pk for row in page.context["cl"].result_list] == [opened.pk, closed.pk]  # the older, open one first
    shown = browser.get(f"{LIST}{opened.pk}/change/").content.decode()
    assert "a &lt;b&gt;rude&lt;/b&gt; line" in shown and 'name="reason"' not in shown  # escaped, read-only
    assert browser.post(f"{LIST}{opened.pk}/change/", {"reason": "changed"}).status_code == 403
    assert browser.get(f"{LIST}add/").status_code == 403

    response = _close(browser, opened)
    assert "Closed 1 report(s); see the audit log." in [str(m) for m in response.context["messages"]]
    opened.refresh_from_db()
    assert not opened.is_open and opened.closed_by == browser.user and opened.closed_at is not None
    (entry,) = AuditEntry.objects.filter(action="close_report")
    assert (entry.actor_id, entry.before, entry.after["is_open"]) == (
        browser.user.pk,
        {"report": opened.pk, "is_open": True},
        False,
    )
    assert Report.objects.filter(pk=opened.pk).exists()  # closed, not deleted
