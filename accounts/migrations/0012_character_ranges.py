"""GAME.md §3's ranges for a character's values, as validators and as CHECK constraints. Rows already
out of range are brought into it first (the game's own writes never leave it), else the constraints
could not be added."""

import django.core.validators
from django.db import migrations, models
from django.db.models.functions import Greatest, Least

RANGES = {
    "level": (1, 100),
    "exp": (0, 2_000_000_000),
    "weapon_level": (1, 1_000),
    "arena_rating": (0, 10_000),
    "arena_best_rating": (0, 10_000),
}


def _clamp(apps, schema_editor):
    Character = apps.get_model("accounts", "Character")
    outside = models.Q(hp__gt=models.F("max_hp")) | models.Q(mp__gt=models.F("max_mp"))
    for field, (low, high) in RANGES.items():
        outside |= models.Q(**{f"{field}__lt": low}) | models.Q(**{f"{field}__gt": high})
    # One scan and one UPDATE of only the rows out of range.
    Character.objects.filter(outside).update(
        hp=Least("hp", "max_hp"), mp=Least("mp", "max_mp"),
        **{field: Greatest(low, Least(high, field)) for field, (low, high) in RANGES.items()},
    )


def _validators(low: int, high: int) -> list:
    return [django.core.validators.MinValueValidator(low), django.core.validators.MaxValueValidator(high)]


def _range(field: str, name: str, message: str) -> models.CheckConstraint:
    low, high = RANGES[field]
    return models.CheckConstraint(condition=models.Q((f"{field}__gte", low), (f"{field}__lte", high)), name=name,
                                  violation_error_message=message)


CONSTRAINTS = [
    _range("level", "character_level_range", "Level must be from 1 to 100."),
    _range("exp", "character_exp_range", "Exp must be from 0 to 2,000,000,000."),
    _range("weapon_level", "character_weapon_level_range", "Weapon level must be from 1 to 1,000."),
    models.CheckConstraint(condition=models.Q(("hp__gte", 0), ("hp__lte", models.F("max_hp"))),
                           name="character_hp_range", violation_error_message="HP must be from 0 to max HP."),
    models.CheckConstraint(condition=models.Q(("mp__gte", 0), ("mp__lte", models.F("max_mp"))),
                           name="character_mp_range", violation_error_message="MP must be from 0 to max MP."),
    _range("arena_rating", "character_arena_rating_range", "Arena ratings must be from 0 to 10,000."),
    _range("arena_best_rating", "character_arena_best_rating_range", "Arena ratings must be from 0 to 10,000."),
]


def _constraints_add(apps, schema_editor):
    """On MariaDB/MySQL in one ALTER TABLE: each ALTER copies the table (with 300,000 characters, seven
    took 17 s here and one 3 s)."""
    Character = apps.get_model("accounts", "Character")
    if schema_editor.connection.vendor != "mysql":
        # SQLite adds one by rebuilding the table from the model's constraints, which are the old
        # ones here (the state gets the new ones after this operation).
        Character._meta.constraints = [*Character._meta.constraints, *CONSTRAINTS]
        for constraint in CONSTRAINTS:
            schema_editor.add_constraint(Character, constraint)
        return
    clauses = ", ".join(f"ADD {constraint.constraint_sql(Character, schema_editor)}" for constraint in CONSTRAINTS)
    schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(Character._meta.db_table)} {clauses}")


def _constraints_remove(apps, schema_editor):
    Character = apps.get_model("accounts", "Character")
    for constraint in CONSTRAINTS:
        schema_editor.remove_constraint(Character, constraint)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0011_gm_groups")]

    operations = [
        migrations.RunPython(_clamp, migrations.RunPython.noop),
        migrations.AlterField("character", "arena_best_rating",
                              models.IntegerField(default=1000, validators=_validators(0, 10000))),
        migrations.AlterField("character", "arena_rating",
                              models.IntegerField(db_index=True, default=1000, validators=_validators(0, 10000))),
        migrations.AlterField("character", "exp", models.PositiveIntegerField(
            default=0, validators=[django.core.validators.MaxValueValidator(2000000000)])),
        migrations.AlterField("character", "level", models.PositiveSmallIntegerField(
            db_index=True, default=1, validators=_validators(1, 100))),
        migrations.AlterField("character", "weapon_level",
                              models.PositiveIntegerField(default=1, validators=_validators(1, 1000))),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddConstraint("character", constraint) for constraint in CONSTRAINTS],
            database_operations=[migrations.RunPython(_constraints_add, _constraints_remove)],
        ),
    ]
