"""Seeding is idempotent: a second run adds nothing (on MariaDB it goes through LOAD DATA)."""

import pytest
from django.core.management import call_command

from accounts.models import Character, User

pytestmark = pytest.mark.usefixtures("live_db")
SEEDED = r"^user[0-9]+$"


@pytest.fixture(autouse=True)
def _seeded_users_removed(live_db):
    """The test database outlives the test (live_db): seeded players, ranked up to 1,199 in the
    arena, would otherwise top the ranking that later tests read."""
    yield
    Character.objects.filter(name__regex=SEEDED).delete()
    User.objects.filter(username__regex=SEEDED).delete()


def test_seeding_twice_adds_nothing_the_second_time(capsys):
    call_command("seed_users", count=20_000)
    first = capsys.readouterr().out
    users = User.objects.filter(username__startswith="user").count()
    characters = Character.objects.filter(name__startswith="user").count()
    assert users >= 20_000 and characters >= 20_000 and "rows/s" in first
    call_command("seed_users", count=20_000)
    assert "users added 0, characters added 0" in capsys.readouterr().out
    assert User.objects.filter(username__startswith="user").count() == users
    assert Character.objects.filter(name__startswith="user").count() == characters
    seeded = Character.objects.select_related("user").get(name="user12345")
    assert seeded.user.username == "user12345" and seeded.user.check_password("qwe123")
    assert seeded.max_hp == 100 * seeded.level and seeded.attack == 10 + seeded.level + seeded.weapon_level
    assert len(set(Character.objects.filter(name__startswith="user").values_list("level", flat=True)[:5000])) > 10
