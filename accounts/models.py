from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.progression import (
    AUTO_RETREAT_DEFAULT,
    AUTO_RETREAT_MAX,
    MAX_EXP,
    MAX_LEVEL,
    MAX_WEAPON_LEVEL,
    RATING_MAX,
    RATING_MIN,
)

RATING_RANGE = [MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)]


class UserManager(BaseUserManager):
    def create_user(self, username, password=None, **extra):
        user = self.model(username=username.lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **extra):
        return self.create_user(username, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    # Stored lower-cased, which makes uniqueness case-insensitive on every database.
    username = models.CharField(_("username"), max_length=16, unique=True)
    is_staff = models.BooleanField(_("staff status"), default=False, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    chat_muted_until = models.DateTimeField(_("chat muted until"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"

    def __str__(self):
        return self.username


class Character(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="character")
    name = models.CharField(_("name"), max_length=16, unique=True)
    # GAME.md §3's ranges: the validators say so on a form, the constraints below hold any other write.
    level = models.PositiveSmallIntegerField(
        default=1, db_index=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVEL)]
    )
    exp = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_EXP)])
    hp = models.PositiveIntegerField(default=100)
    max_hp = models.PositiveIntegerField(default=100)
    mp = models.PositiveIntegerField(default=100)
    max_mp = models.PositiveIntegerField(default=100)
    attack = models.PositiveIntegerField(default=10)
    defense = models.PositiveIntegerField(default=10)
    weapon_level = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_WEAPON_LEVEL)]
    )
    # Equipped skills by slot (battles.Skill ids; 0 = empty). Every character starts with 강타.
    skill_1 = models.PositiveSmallIntegerField(default=1)
    skill_2 = models.PositiveSmallIntegerField(default=0)
    skill_3 = models.PositiveSmallIntegerField(default=0)
    kills = models.PositiveIntegerField(default=0)
    deaths = models.PositiveIntegerField(default=0)
    arena_wins = models.PositiveIntegerField(default=0)
    arena_losses = models.PositiveIntegerField(default=0)
    arena_rating = models.IntegerField(default=1000, db_index=True, validators=RATING_RANGE)  # the arena's ranking
    # The highest rating ever reached (the adventure log).
    arena_best_rating = models.IntegerField(default=1000, validators=RATING_RANGE)
    # The auto-battle retreats below this % of max hp (0-90; 0 fights to the death).
    auto_retreat = models.PositiveSmallIntegerField(
        _("auto-battle retreat (%)"), default=AUTO_RETREAT_DEFAULT, validators=[MaxValueValidator(AUTO_RETREAT_MAX)]
    )
    # The exp gained in the KST week `week` (accounts.boards.week_of): the weekly board's, written
    # behind with the rest so that a Redis restart loses none of it.
    week = models.PositiveIntegerField(default=0)
    week_exp = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # One permission per game-master action (issue 15): the admin and the in-game commands check them.
        permissions = [
            ("heal_character", _("Can heal characters")),
            ("grant_exp", _("Can grant exp")),
            ("set_weapon_level", _("Can set weapon levels")),
            ("reset_character", _("Can reset characters")),
            ("mute_player", _("Can mute players")),
            ("kick_player", _("Can kick players")),
            ("ban_player", _("Can ban players")),
            ("send_notice", _("Can send notices to every player")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=MAX_LEVEL),
                name="character_level_range",
                violation_error_message=_("Level must be from 1 to 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(exp__gte=0, exp__lte=MAX_EXP),
                name="character_exp_range",
                violation_error_message=_("Exp must be from 0 to 2,000,000,000."),
            ),
            models.CheckConstraint(
                condition=models.Q(weapon_level__gte=1, weapon_level__lte=MAX_WEAPON_LEVEL),
                name="character_weapon_level_range",
                violation_error_message=_("Weapon level must be from 1 to 1,000."),
            ),
            models.CheckConstraint(
                condition=models.Q(hp__gte=0, hp__lte=models.F("max_hp")),
                name="character_hp_range",
                violation_error_message=_("HP must be from 0 to max HP."),
            ),
            models.CheckConstraint(
                condition=models.Q(mp__gte=0, mp__lte=models.F("max_mp")),
                name="character_mp_range",
                violation_error_message=_("MP must be from 0 to max MP."),
            ),
            models.CheckConstraint(
                condition=models.Q(arena_rating__gte=RATING_MIN, arena_rating__lte=RATING_MAX),
                name="character_arena_rating_range",
                violation_error_message=_("Arena ratings must be from 0 to 10,000."),
            ),
            models.CheckConstraint(
                condition=models.Q(arena_best_rating__gte=RATING_MIN, arena_best_rating__lte=RATING_MAX),
                name="character_arena_best_rating_range",
                violation_error_message=_("Arena ratings must be from 0 to 10,000."),
            ),
        ]

    def __str__(self):
        return self.name


class AuditEntry(models.Model):
    """A staff member's change to a player: who, what, when, and the state before and after.

    Append-only. The actor and the target are kept as ids and names rather than foreign keys, so that
    deleting either account keeps the entries as they were written.
    """

    actor_id = models.PositiveIntegerField(_("staff member id"), null=True)
    actor_name = models.CharField(_("game master"), max_length=16)
    action = models.CharField(_("action"), max_length=32)
    target_id = models.PositiveIntegerField(_("character id"), null=True)
    target_name = models.CharField(_("player"), max_length=16)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("audit entries")
        # Every filter the audit list offers, in its order (newest first = highest id first: entries
        # are only ever appended) at a million entries: an index on one column holds (column, id), so
        # a filter reads its newest 50 straight off it, and the filter's choices (DISTINCT) skip along it.
        indexes = [
            models.Index(fields=["actor_name"], name="audit_by_actor"),
            models.Index(fields=["action"], name="audit_by_action"),
            models.Index(fields=["target_name"], name="audit_by_target"),
            models.Index(fields=["target_id"], name="audit_by_target_id"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_name}"


class SetAsideWrite(models.Model):
    """A character whose hot state the database refused (a value out of range, say): the write-behind
    writes every other character and keeps this one's values here for a game master to fix.

    One row per character while unresolved; a later write of that character that succeeds marks it
    resolved. Its values stay in Redis meanwhile, and the character is tried again on its next change.
    """

    character_id = models.PositiveIntegerField(_("character id"), db_index=True)
    character_name = models.CharField(_("character"), max_length=16)
    values = models.JSONField(_("values refused"), default=dict)
    error = models.TextField(_("error"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    first_failed_at = models.DateTimeField(_("first failed"), default=timezone.now)
    last_failed_at = models.DateTimeField(_("last failed"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-last_failed_at"]
        verbose_name = _("unsaved character write")
        verbose_name_plural = _("unsaved character writes")

    def __str__(self):
        return f"{self.character_name} ({self.character_id})"
