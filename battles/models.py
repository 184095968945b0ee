"""Game content for fights: dungeons, monster templates and skills (editable in the admin; the rules
engine reads them through battles.catalog, which notices edits)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dungeon(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), primary_key=True)
    name_ko = models.CharField(_("Korean name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40)
    level_min = models.PositiveSmallIntegerField(_("lowest level"))
    level_max = models.PositiveSmallIntegerField(_("highest level"))
    description_ko = models.CharField(_("Korean description"), max_length=300, blank=True)
    description_en = models.CharField(_("English description"), max_length=300, blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"{self.number}. {self.name_ko}"


class MonsterKind(models.IntegerChoices):
    NORMAL = 0, _("normal")
    ELITE = 1, _("elite")
    BOSS = 2, _("boss")


class MonsterTemplate(models.Model):
    dungeon = models.ForeignKey(Dungeon, on_delete=models.CASCADE, related_name="monsters")
    kind = models.PositiveSmallIntegerField(_("kind"), choices=MonsterKind.choices)
    name_ko = models.CharField(_("Korean name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40)
    hp = models.PositiveIntegerField()
    attack = models.PositiveIntegerField()
    defense = models.PositiveIntegerField()
    exp = models.PositiveIntegerField()
    spawn_weight = models.PositiveSmallIntegerField(_("spawn weight (%)"))

    class Meta:
        ordering = ["dungeon", "kind"]
        constraints = [models.UniqueConstraint(fields=["dungeon", "kind"], name="one_template_per_kind")]

    def __str__(self):
        return f"{self.dungeon_id}/{self.get_kind_display()}: {self.name_ko}"


class SkillEffect(models.TextChoices):
    DAMAGE = "damage", _("damage")
    ARMOR = "armor", _("halve damage taken")


class Skill(models.Model):
    name_ko = models.CharField(_("Korean name"), max_length=40, unique=True)
    name_en = models.CharField(_("English name"), max_length=40, unique=True)
    effect = models.CharField(_("effect"), max_length=8, choices=SkillEffect.choices, default=SkillEffect.DAMAGE)
    mp_cost = models.PositiveIntegerField(_("MP cost"))
    multiple = models.PositiveIntegerField(_("damage %"), default=100)
    unlock_level = models.PositiveSmallIntegerField(_("unlocked at level"), default=1)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["unlock_level", "id"]

    def __str__(self):
        return self.name_ko
