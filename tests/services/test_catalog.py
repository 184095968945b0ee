"""The rules engine reads the content tables through a cache that notices game masters' edits."""

import pytest

from accounts.models import Character
from battles import catalog
from battles.models import MonsterTemplate, Skill
from tests.unit.test_retreat_and_exact_rules import MONSTER_TABLE

pytestmark = pytest.mark.usefixtures("live_db")


def test_shipped_content_and_formula():
    content = catalog.catalog_get().content
    wolves = [m for m in content.monsters.values() if m.name_ko == "늑대"]
    assert [(m.hp, m.attack, m.exp, m.weight) for m in wolves] == [(200, 20, 40, 5)]
    assert [(m.hp, m.attack) for m in content.spawn_tables[2]] == [(120, 12), (300, 30), (480, 48)]
    assert {s.name_ko for s in content.skills.values()} == {"강타", "연속 베기", "엑스칼리버", "매직아머", "발도"}


def test_an_edit_is_seen_without_a_restart(monkeypatch):
    monkeypatch.setattr(catalog.CONTENT, "check_every", -1)
    squirrel = MonsterTemplate.objects.get(dungeon=1, kind=0)
    before = catalog.catalog_get()
    try:
        squirrel.exp = 777
        squirrel.save()
        after = catalog.catalog_get()
        assert after.version > before.version and after.content.monsters[squirrel.pk].exp == 777
    finally:
        squirrel.exp = 10
        squirrel.save()


def test_content_reset_restores_the_shipped_content(capsys):
    from django.core.management import call_command

    monsters, skills = list(MonsterTemplate.objects.order_by("pk")), list(Skill.objects.order_by("pk"))
    MonsterTemplate.objects.filter(dungeon=1, kind=0).update(name_en="Edited")
    call_command("load_game_data", reset=True)
    assert "dungeons loaded: 5" in capsys.readouterr().out
    assert MonsterTemplate.objects.get(dungeon=1, kind=0).name_en == "Squirrel"
    assert MonsterTemplate.objects.count() == 15
    # The same ids: characters' skill slots and running battles refer to them.
    assert [(m.pk, m.dungeon_id, m.kind) for m in MonsterTemplate.objects.order_by("pk")] == [
        (m.pk, m.dungeon_id, m.kind) for m in monsters
    ]
    assert [(s.pk, s.name_en) for s in Skill.objects.order_by("pk")] == [(s.pk, s.name_en) for s in skills]
    assert Skill.objects.get(pk=Character._meta.get_field("skill_1").default).name_ko == "강타"


def test_a_new_process_takes_the_snapshot_in_redis_not_the_database(monkeypatch):
    """So that a worker started while the database is away still runs battles."""
    monkeypatch.setattr(catalog.CONTENT, "check_every", -1)  # the current version, not this process's last one
    loaded = catalog.catalog_get()
    monkeypatch.setattr(catalog.CONTENT, "_values", {})  # as in a process that has not read it yet
    monkeypatch.setattr(catalog, "_load", lambda version: pytest.fail("read the database"))
    assert catalog.catalog_get() == loaded


STATS = ("hp", "attack", "defense", "exp")


def _stored() -> dict[tuple[int, int], dict[str, int]]:
    return {(m.dungeon_id, m.kind): {stat: getattr(m, stat) for stat in STATS} for m in MonsterTemplate.objects.all()}


def test_stored_and_loaded_monster_stats_are_exact():
    """GAME.md §3's formula in exact arithmetic (tests/unit) for all 5 dungeons × 3 types, against
    the database as the migrations and load_game_data leave it, and the engine's snapshot."""
    from django.core.management import call_command

    assert _stored() == MONSTER_TABLE
    monsters = catalog.catalog_get().content.monsters.values()
    assert {(m.dungeon, m.kind): {stat: getattr(m, stat) for stat in STATS} for m in monsters} == MONSTER_TABLE
    call_command("load_game_data", reset=True)
    assert _stored() == MONSTER_TABLE


def test_the_migration_corrects_the_floating_point_stats_and_keeps_edited_ones():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("battles.migrations.0003_exact_monster_stats")
    goblin = MonsterTemplate.objects.get(dungeon=3, kind=0)
    chief = MonsterTemplate.objects.get(dungeon=3, kind=2)
    try:
        MonsterTemplate.objects.filter(pk=goblin.pk).update(hp=211, attack=22, defense=22, exp=43)  # as floats gave
        MonsterTemplate.objects.filter(pk=chief.pk).update(hp=999)  # a game master's edit
        migration.correct(apps, None)
        assert _stored()[(3, 0)] == MONSTER_TABLE[(3, 0)] == {"hp": 210, "attack": 21, "defense": 21, "exp": 42}
        assert MonsterTemplate.objects.get(pk=chief.pk).hp == 999
    finally:
        MonsterTemplate.objects.filter(pk=chief.pk).update(hp=MONSTER_TABLE[(3, 2)]["hp"])
