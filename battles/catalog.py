"""The fight content as the rules engine sees it: a snapshot of the Dungeon, MonsterTemplate and
Skill tables, held by each process and reloaded when a game master edits them (mudserver.held: a
version in Redis, bumped on every save or delete, checked at most once a second). The NPC lines
held by village.services follow the same version.

The snapshot is also kept in Redis with its version, so a process loads it from there rather than
from the database: a worker or web process started, or meeting its first fight, while the database
is away still runs battles (they need nothing else of it)."""

import json
from dataclasses import asdict, dataclass

from asgiref.sync import sync_to_async
from django.db import connection
from django.db.models.signals import post_delete, post_save

from battles.engine import Content, MonsterInfo, SkillInfo
from battles.models import Dungeon, MonsterTemplate, Skill
from mudserver.held import Held
from mudserver.redis_client import get_redis

VERSION_KEY = "mud:catalog:version"
SNAPSHOT_KEY = "mud:catalog:snapshot"


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
    try:
        return _read(version)
    finally:
        # Whatever thread first meets a new version reads it, often one of the event loop's default
        # executor (battle commands), which keeps no database connection: none is left there.
        if not connection.in_atomic_block:
            connection.close()


def _read(version: int) -> Catalog:
    dungeons = {
        d.number: DungeonInfo(
            d.number, d.name_ko, d.name_en, d.level_min, d.level_max, d.description_ko, d.description_en
        )
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


def _snapshot_dump(catalog: Catalog) -> str:
    return json.dumps(
        {
            "version": catalog.version,
            "dungeons": [asdict(d) for d in catalog.dungeons.values()],
            "monsters": [asdict(m) for m in catalog.content.monsters.values()],
            "skills": [asdict(s) for s in catalog.content.skills.values()],
        },
        ensure_ascii=False,
    )


def _snapshot_read(version: int) -> Catalog | None:
    """The snapshot in Redis, if it is of this version."""
    raw = get_redis().get(SNAPSHOT_KEY)
    data = json.loads(raw) if raw else None
    if data is None or data["version"] != version:
        return None
    dungeons = {d["number"]: DungeonInfo(**d) for d in data["dungeons"]}
    content = content_build([MonsterInfo(**m) for m in data["monsters"]], [SkillInfo(**s) for s in data["skills"]])
    return Catalog(version, dungeons, content)


# The game content held by each process (mudserver.held): the catalog, and the NPC lines (village.services).
CONTENT = Held(VERSION_KEY)


def _catalog_load(version: int) -> Catalog:
    loaded = _snapshot_read(version)
    if loaded is None:
        loaded = _load(version)
        get_redis().set(SNAPSHOT_KEY, _snapshot_dump(loaded))
    return loaded


def catalog_get() -> Catalog:
    return CONTENT.get("catalog", _catalog_load)


_catalog_aload = sync_to_async(_catalog_load, thread_sensitive=True)


async def catalog_aget() -> Catalog:
    """For the event loop: the catalog in hand while it is fresh, as it nearly always is; after an
    edit, the reload on the database thread. Hopping to that one thread on every dungeon command
    queued them behind sign-ins' database work."""
    return CONTENT.fresh("catalog") or await CONTENT.aget("catalog", _catalog_aload)


def catalog_changed(**kwargs) -> None:
    CONTENT.invalidate()


def catalog_signals_connect() -> None:
    """A game master's edit of the content makes every process read the catalog again."""
    for model in (Dungeon, MonsterTemplate, Skill):
        post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-save-{model.__name__}")
        post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-delete-{model.__name__}")
