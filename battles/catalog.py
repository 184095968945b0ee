"""The fight content as the rules engine sees it: a snapshot of the Dungeon, MonsterTemplate and
Skill tables, kept per process and reloaded when a game master edits them (a version number in
Redis, bumped on every save or delete, is checked at most once a second)."""

import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db.models.signals import post_delete, post_save

from battles.engine import Content, MonsterInfo, SkillInfo
from battles.models import Dungeon, MonsterTemplate, Skill
from mudserver.redis_client import get_redis

VERSION_KEY = "mud:catalog:version"
CHECK_EVERY = 1.0


@dataclass(frozen=True)
class DungeonInfo:
    number: int
    name_ko: str
    name_en: str
    level_min: int
    level_max: int
    description_ko: str
    description_en: str


@dataclass(frozen=True)
class Catalog:
    version: int
    dungeons: dict[int, DungeonInfo]
    content: Content


def localized(item, lang: str, attribute: str = "name") -> str:
    """The Korean or English text of a content item."""
    return getattr(item, f"{attribute}_en" if lang == "en" else f"{attribute}_ko")


def content_build(monsters: list[MonsterInfo], skills: list[SkillInfo]) -> Content:
    tables: dict[int, list[MonsterInfo]] = {}
    for monster in sorted(monsters, key=lambda m: (m.dungeon, m.kind)):
        tables.setdefault(monster.dungeon, []).append(monster)
    return Content(
        monsters={m.id: m for m in monsters},
        skills={s.id: s for s in skills},
        spawn_tables={number: tuple(table) for number, table in tables.items()},
    )


def _load(version: int) -> Catalog:
    dungeons = {
        d.number: DungeonInfo(d.number, d.name_ko, d.name_en, d.level_min, d.level_max, d.description_ko, d.description_en)
        for d in Dungeon.objects.all()
    }
    monsters = [
        MonsterInfo(m.id, m.dungeon_id, m.kind, m.name_ko, m.name_en, m.hp, m.attack, m.defense, m.exp, m.spawn_weight)
        for m in MonsterTemplate.objects.all()
    ]
    skills = [
        SkillInfo(s.id, s.name_ko, s.name_en, s.effect, s.mp_cost, s.multiple, s.unlock_level, s.duration_ms)
        for s in Skill.objects.all()
    ]
    return Catalog(version, dungeons, content_build(monsters, skills))


_cached: Catalog | None = None
_checked_at = 0.0


def catalog_get() -> Catalog:
    global _cached, _checked_at
    now = time.monotonic()
    if _cached is None or now - _checked_at > CHECK_EVERY:
        version = int(get_redis().get(VERSION_KEY) or 0)
        if _cached is None or _cached.version != version:
            _cached = _load(version)
        _checked_at = now
    return _cached


catalog_aget = sync_to_async(catalog_get, thread_sensitive=True)


def catalog_changed(**kwargs) -> None:
    get_redis().incr(VERSION_KEY)


for _model in (Dungeon, MonsterTemplate, Skill):
    post_save.connect(catalog_changed, sender=_model, dispatch_uid=f"catalog-save-{_model.__name__}")
    post_delete.connect(catalog_changed, sender=_model, dispatch_uid=f"catalog-delete-{_model.__name__}")
