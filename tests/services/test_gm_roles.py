"""Staff roles in the admin (Django's test client): each action and page checks its permission, only
superusers touch staff status, superuser status, groups and permissions, and `make_gm` gives a role."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import AuditEntry, Character, User
from tests.flows.test_admin_flow import _action_post, _FormFields

# Every character action, with a value for its box.
ACTIONS = {
    "heal": "",
    "grant_exp": "500",
    "set_weapon": "5",
    "reset": "",
    "mute": "30",
    "unmute": "",
    "kick": "",
    "ban": "",
    "unban": "",
}
GM_PERMISSIONS = {
    *(
        f"accounts.{codename}"
        for codename in (
            "heal_character",
            "grant_exp",
            "set_weapon_level",
            "reset_character",
            "mute_player",
            "kick_player",
            "ban_player",
            "send_notice",
        )
    ),
    "accounts.view_character",
    "accounts.change_character",
    "accounts.view_user",
    "chat.view_chatmessage",
    "accounts.view_auditentry",
    "accounts.view_setasidewrite",
    *(f"battles.{verb}_{model}" for verb in ("view", "change") for model in ("dungeon", "monstertemplate", "skill")),
    "village.view_npcline",
    "village.change_npcline",
    "chat.handle_reports",
}
MODERATOR_PERMISSIONS = {
    "accounts.mute_player",
    "accounts.kick_player",
    "accounts.view_character",
    "accounts.view_user",
    "chat.view_chatmessage",
    "chat.handle_reports",
}


@pytest.fixture
def player(db) -> Character:
    user = User.objects.create_user("rolesplayer", "secret12")
    return Character.objects.create(user=user, name="rolesplayer", hp=40)


def _staff(name: str, *permissions: str, role: str | None = None) -> Client:
    user = User.objects.create_user(name, "staff-secret-1", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    if role:
        call_command("make_gm", name, moderator=role == "Moderator")
    browser = Client(headers={"accept-language": "en"})
    browser.force_login(user)
    browser.user = user
    return browser


def _state(character: Character) -> tuple:
    row = Character.objects.select_related("user").get(pk=character.pk)
    return (row.level, row.exp, row.hp, row.weapon_level, row.user.is_active, row.user.chat_muted_until)


def _group_permissions(name: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}


def test_the_roles_hold_their_permissions(db):
    assert _group_permissions("Game master") == GM_PERMISSIONS
    assert _group_permissions("Moderator") == MODERATOR_PERMISSIONS


def test_a_view_only_staff_member_can_run_no_action(player):
    browser = _staff("viewer", "accounts.view_character")
    before = _state(player)
    for action, value in ACTIONS.items():
        response = browser.post(
            "/admin/accounts/character/",
            {"action": action, "value": value, "_selected_action": [str(player.pk)], "index": "0"},
            follow=True,
        )
        assert response.status_code == 200, action
        assert not [m for m in response.context["messages"] if "Done" in str(m)], action
    assert _state(player) == before
    assert not AuditEntry.objects.exists()
    page = browser.get("/admin/accounts/character/")
    assert page.status_code == 200 and 'name="action"' not in page.content.decode()  # no action offered
    assert browser.get(f"/admin/accounts/character/{player.pk}/mute/").status_code == 403
    assert browser.post(f"/admin/accounts/character/{player.pk}/change/", {"hp": "1"}).status_code == 403


def test_a_moderator_mutes_and_kicks_but_grants_no_exp(player):
    browser = _staff("moderator1", role="Moderator")
    assert _action_post(browser, "mute", "30", player) == ["Done for 1 player(s); see the audit log."]
    assert User.objects.get(pk=player.user_id).chat_muted_until is not None
    assert _action_post(browser, "kick", "", player) == ["Done for 1 player(s); see the audit log."]
    assert _action_post(browser, "grant_exp", "500", player) == ["No action selected."]
    assert Character.objects.get(pk=player.pk).exp == 0
    # The mute page needs only mute_player: a moderator may not change users.
    assert browser.get(f"/admin/accounts/character/{player.pk}/mute/").status_code == 200
    lifted = browser.post(f"/admin/accounts/character/{player.pk}/mute/", {"minutes": "0"})
    assert lifted.status_code == 302 and User.objects.get(pk=player.user_id).chat_muted_until is None
    assert browser.post(f"/admin/accounts/user/{player.user_id}/change/", {"username": "x"}).status_code == 403
    entries = AuditEntry.objects.filter(target_id=player.pk).order_by("pk")
    expected = [("moderator1", "mute"), ("moderator1", "kick"), ("moderator1", "mute")]
    assert [(e.actor_name, e.action) for e in entries] == expected


def test_a_game_master_cannot_make_anyone_superuser(player):
    browser = _staff("gamemaster1", "accounts.change_user", role="Game master")
    url = f"/admin/accounts/user/{player.user_id}/change/"
    page = browser.get(url)
    assert page.status_code == 200
    fields = _FormFields("user_form")
    fields.feed(page.content.decode())
    for superuser_only in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert superuser_only not in fields.data and f'name="{superuser_only}"' not in page.content.decode()
    game_master_group = str(Group.objects.get(name="Game master").pk)
    posted = {**fields.data, "is_superuser": "on", "is_staff": "on", "groups": game_master_group, "_save": "Save"}
    assert browser.post(url, posted).status_code == 302  # saved, without the fields it may not change
    target = User.objects.get(pk=player.user_id)
    assert not target.is_superuser and not target.is_staff and not target.groups.exists()
    # Their own (staff) account is the superusers' to change, its password too.
    own = f"/admin/accounts/user/{browser.user.pk}/"
    assert browser.post(f"{own}change/", {**posted, "username": browser.user.username}).status_code == 403
    new_password = {"password1": "x-New-pass-9", "password2": "x-New-pass-9"}
    assert browser.post(f"{own}password/", new_password).status_code == 403
    me = User.objects.get(pk=browser.user.pk)
    assert not me.is_superuser and me.check_password("staff-secret-1")


def test_a_superuser_still_sees_and_changes_every_field(admin_client, player):
    url = f"/admin/accounts/user/{player.user_id}/change/"
    page = admin_client.get(url).content.decode()
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' in page
    fields = _FormFields("user_form")
    fields.feed(page)
    assert admin_client.post(url, {**fields.data, "is_staff": "on", "_save": "Save"}).status_code == 302
    assert User.objects.get(pk=player.user_id).is_staff


def test_live_pages_need_the_view_character_permission(db):
    assert _staff("nobodystaff").get("/admin/live/online/").status_code == 403
    allowed = _staff("viewer2", "accounts.view_character")
    assert allowed.get("/admin/live/online/").status_code == 200


def test_make_gm_gives_exactly_one_role(player, capsys):
    call_command("make_gm", "RolesPlayer")  # usernames are stored lower-cased
    user = User.objects.get(pk=player.user_id)
    assert user.is_staff and [g.name for g in user.groups.all()] == ["Game master"]
    assert "rolesplayer is now staff in the Game master group." in capsys.readouterr().out
    call_command("make_gm", "rolesplayer", "--moderator")
    assert [g.name for g in User.objects.get(pk=player.user_id).groups.all()] == ["Moderator"]
    with pytest.raises(CommandError, match="No user named 'nosuchuser'."):
        call_command("make_gm", "nosuchuser")


def test_only_a_superuser_moves_a_character_to_another_account(player, admin_client):
    other = User.objects.create_user("otheraccount", "secret12")
    url = f"/admin/accounts/character/{player.pk}/change/"
    browser = _staff("gamemaster2", role="Game master")
    page = browser.get(url)
    fields = _FormFields("character_form")
    fields.feed(page.content.decode())
    assert "user" not in fields.data
    posted = {**fields.data, "user": str(other.pk), "_save": "Save"}
    assert browser.post(url, posted).status_code == 302  # saved, without the field it may not change
    assert Character.objects.get(pk=player.pk).user_id == player.user_id
    page = admin_client.get(url).content.decode()
    assert 'name="user"' in page
