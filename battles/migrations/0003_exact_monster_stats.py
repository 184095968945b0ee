"""Monster stats were computed in floating point and came out one point high in dungeons 2 and 3
(dungeon 3's goblin 211/22/22/43 instead of 210/21/21/42). Correct the shipped rows that still hold
the floating-point value; a value a game master changed is left as it is."""

import math

from django.db import migrations

STATS = ("hp", "attack", "defense", "exp")


def _float_stat(base: int, dungeon: int, kind: int) -> int:
    """The old computation, kept here to recognise the rows it wrote."""
    return math.ceil(base * dungeon * (0.8 + 0.2 * dungeon) * (1 + 1.5 * kind))


def correct(apps, schema_editor):
    from battles.content import MONSTER_BASE, monster_stat

    for monster in apps.get_model("battles", "MonsterTemplate").objects.all():
        changed = []
        for stat in STATS:
            old = _float_stat(MONSTER_BASE[stat], monster.dungeon_id, monster.kind)
            if getattr(monster, stat) == old:
                setattr(monster, stat, monster_stat(MONSTER_BASE[stat], monster.dungeon_id, monster.kind))
                changed.append(stat)
        if changed:
            monster.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("battles", "0002_load_content")]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
