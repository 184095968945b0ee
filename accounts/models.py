from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from battles.rules import AUTO_RETREAT_DEFAULT, AUTO_RETREAT_MAX


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
    level = models.PositiveSmallIntegerField(default=1, db_index=True)
    exp = models.PositiveIntegerField(default=0)
    hp = models.PositiveIntegerField(default=100)
    max_hp = models.PositiveIntegerField(default=100)
    mp = models.PositiveIntegerField(default=100)
    max_mp = models.PositiveIntegerField(default=100)
    attack = models.PositiveIntegerField(default=10)
    defense = models.PositiveIntegerField(default=10)
    weapon_level = models.PositiveIntegerField(default=1)
    # Equipped skills by slot (battles.Skill ids; 0 = empty). Every character starts with 강타.
    skill_1 = models.PositiveSmallIntegerField(default=1)
    skill_2 = models.PositiveSmallIntegerField(default=0)
    skill_3 = models.PositiveSmallIntegerField(default=0)
    kills = models.PositiveIntegerField(default=0)
    deaths = models.PositiveIntegerField(default=0)
    arena_wins = models.PositiveIntegerField(default=0)
    arena_losses = models.PositiveIntegerField(default=0)
    arena_rating = models.IntegerField(default=1000, db_index=True)  # the arena's ranking
    arena_best_rating = models.IntegerField(default=1000)  # the highest rating ever reached (the adventure log)
    # The auto-battle retreats below this % of max hp (0-90; 0 fights to the death).
    auto_retreat = models.PositiveSmallIntegerField(_("auto-battle retreat (%)"), default=AUTO_RETREAT_DEFAULT,
                                                    validators=[MaxValueValidator(AUTO_RETREAT_MAX)])
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
