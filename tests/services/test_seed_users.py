"""Seeding is idempotent: a second run adds nothing (on MariaDB it goes through LOAD DATA)."""

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import AuditEntry, Character, User
from chat.models import ChatMessage

pytestmark = pytest.mark.usefixtures("live_db")
SEEDED = r"^user[0-9]+$"


@pytest.fixture(autouse=True)
def _seeded_users_removed(live_db):
    """The test database outlives the test (live_db): seeded players, ranked up to 1,199 in the
    arena, would otherwise top the ranking that later tests read."""
    yield
    ChatMessage.objects.filter(sender_name__regex=SEEDED).delete()
    AuditEntry.objects.filter(target_name__regex=SEEDED).delete()
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


def test_chat_and_audit_are_topped_up_to_the_numbers_asked(capsys):
    chat_before, audit_before = ChatMessage.objects.count(), AuditEntry.objects.count()
    call_command("seed_users", count=3_000, chat=chat_before + 4_000, audit=audit_before + 2_500)
    assert "chat messages added 4000, audit entries added 2500" in capsys.readouterr().out
    seeded_chat = ChatMessage.objects.filter(sender_name__regex=SEEDED)
    seeded_audit = AuditEntry.objects.filter(target_name__regex=SEEDED)
    assert seeded_chat.count() == 4_000 and seeded_audit.count() == 2_500
    # Consecutive ids (the admin pages by id), times in id order, senders and targets that exist.
    ids = list(seeded_chat.order_by("pk").values_list("pk", flat=True))
    assert ids == list(range(ids[0], ids[0] + 4_000))
    times = list(seeded_audit.order_by("pk").values_list("created_at", flat=True))
    assert times == sorted(times) and times[0] < times[-1]
    message = seeded_chat.order_by("pk").last()
    assert Character.objects.get(pk=message.sender_id).name == message.sender_name
    entry = seeded_audit.order_by("pk").first()
    assert Character.objects.get(pk=entry.target_id).name == entry.target_name
    assert seeded_chat.filter(channel="whisper").exclude(recipient_name="").exists()
    call_command("seed_users", count=3_000, chat=chat_before + 4_000, audit=audit_before + 2_500)
    assert "users added 0, characters added 0, chat messages added 0, audit entries added 0" in capsys.readouterr().out


def _automatic_recount(cursor, table: str) -> bool:
    cursor.execute(f"SHOW CREATE TABLE {table}")
    return "STATS_AUTO_RECALC=0" not in cursor.fetchone()[1]


@pytest.mark.skipif("connection.vendor != 'mysql'", reason="InnoDB's statistics")
def test_a_load_holds_the_automatic_statistics_recount_and_gives_it_back_even_on_failure():
    from game.management.commands.seed_users import statistics_held

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE seed_probe (id INT PRIMARY KEY) ENGINE=InnoDB")
        try:
            with statistics_held(["seed_probe"]):
                assert not _automatic_recount(cursor, "seed_probe")
            assert _automatic_recount(cursor, "seed_probe")
            with pytest.raises(RuntimeError), statistics_held(["seed_probe"]):
                raise RuntimeError("the load failed")
            assert _automatic_recount(cursor, "seed_probe")
        finally:
            cursor.execute("DROP TABLE seed_probe")
