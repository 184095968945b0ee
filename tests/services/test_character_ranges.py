"""A character's values stay in GAME.md §3's ranges: the admin's value box and change form refuse
anything else with a clear message, and the database refuses any other write (CHECK constraints)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from accounts.models import AuditEntry, Character, User
from game.management.commands.seed_users import character_row
from tests.flows.test_admin_flow import _action_post, _FormFields

# GAME.md §3, written out here rather than read from the code under test.
HIGHEST_EXP = 2_000_000_000


@pytest.fixture
def player(db) -> Character:
    user = User.objects.create_user("rangeplayer", "secret12")
    return Character.objects.create(
        user=user, name="rangeplayer", level=3, exp=300, max_hp=300, hp=250, max_mp=300, mp=20, weapon_level=4
    )


@pytest.fixture
def admin_browser(admin_user) -> Client:
    browser = Client(headers={"accept-language": "en"})  # the messages in English, whatever the default
    browser.force_login(admin_user)
    return browser


def _values(character: Character) -> dict:
    return Character.objects.filter(pk=character.pk).values().get()


@pytest.mark.parametrize(
    ("action", "value", "told"),
    [
        ("grant_exp", "5000000000", "Type the amount in the box: a whole number from 1 to 2,000,000,000."),
        ("grant_exp", "-1", "Type the amount in the box: a whole number from 1 to 2,000,000,000."),
        ("grant_exp", "abc", "Type the amount in the box: a whole number from 1 to 2,000,000,000."),
        ("set_weapon", "1001", "Type the level in the box: a whole number from 1 to 1,000."),
    ],
)
def test_the_value_box_refuses_values_out_of_range(admin_browser, player, action, value, told):
    before = _values(player)
    assert _action_post(admin_browser, action, value, player) == [told]
    assert _values(player) == before
    assert not AuditEntry.objects.exists()


def test_exp_granted_past_the_highest_stops_there_and_says_so(admin_browser, player):
    Character.objects.filter(pk=player.pk).update(exp=HIGHEST_EXP - 100)
    told = _action_post(admin_browser, "grant_exp", "1000", player)
    assert told == ["Done for 1 player(s); see the audit log.", "Exp stops at 2,000,000,000: 1 player(s) got less."]
    row = _values(player)
    assert (row["exp"], row["level"], row["hp"], row["max_hp"]) == (HIGHEST_EXP, 100, 100 * 100, 100 * 100)
    entry = AuditEntry.objects.get(action="grant_exp")
    assert (entry.before["exp"], entry.after["exp"]) == (HIGHEST_EXP - 100, HIGHEST_EXP)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"level": "101"}, "level", "Ensure this value is less than or equal to 100."),
        ({"exp": "2000000001"}, "exp", "Ensure this value is less than or equal to 2000000000."),
        ({"weapon_level": "0"}, "weapon_level", "Ensure this value is greater than or equal to 1."),
        ({"arena_rating": "10001"}, "arena_rating", "Ensure this value is less than or equal to 10000."),
        ({"hp": "301"}, "__all__", "HP must be from 0 to max HP."),
        ({"max_mp": "10"}, "__all__", "MP must be from 0 to max MP."),
    ],
)
def test_the_character_form_refuses_values_out_of_range(admin_browser, player, changes, field, message):
    url = f"/admin/accounts/character/{player.pk}/change/"
    fields = _FormFields("character_form")
    fields.feed(admin_browser.get(url).content.decode())
    before = _values(player)
    response = admin_browser.post(url, {**fields.data, **changes, "_save": "Save"})
    assert response.status_code == 200  # the form again, with the message
    assert response.context["adminform"].form.errors[field] == [message]
    assert _values(player) == before
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"level": 0},
        {"level": 101},
        {"exp": HIGHEST_EXP + 1},
        {"weapon_level": 0},
        {"weapon_level": 1001},
        {"hp": 301},
        {"mp": 301},
        {"arena_rating": -1},
        {"arena_rating": 10_001},
        {"arena_best_rating": -1},
        {"arena_best_rating": 10_001},
    ],
)
def test_the_database_refuses_values_out_of_range(player, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        Character.objects.filter(pk=player.pk).update(**values)


def test_the_database_takes_the_edges_of_the_ranges(player):
    edges = {
        "level": 100,
        "exp": HIGHEST_EXP,
        "weapon_level": 1000,
        "hp": 300,
        "mp": 0,
        "arena_rating": 10_000,
        "arena_best_rating": 0,
    }
    Character.objects.filter(pk=player.pk).update(**edges)
    assert {name: _values(player)[name] for name in edges} == edges


def test_a_model_check_names_the_value_out_of_range(player):
    player.hp = player.max_hp + 1
    with pytest.raises(ValidationError) as refused:
        player.full_clean()
    assert refused.value.messages == ["HP must be from 0 to max HP."]


def test_seeded_characters_are_in_range():
    for index in range(1, 2_000_001, 997):
        row = character_row(index)
        assert 1 <= row["level"] <= 100 and 0 <= row["exp"] <= HIGHEST_EXP and 1 <= row["weapon_level"] <= 1000
        assert 0 <= row["hp"] <= row["max_hp"] and 0 <= row["mp"] <= row["max_mp"]
        assert 0 <= row["arena_rating"] <= 10_000 and 0 <= row["arena_best_rating"] <= 10_000
