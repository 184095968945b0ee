from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import gm
from accounts.models import AuditEntry, Character, User
from battles.rules import MAX_EXP
from mudserver.admin_tools import LargeTableAdmin, large_list_help
from mudserver.numbers import typed_int
from village.rules import MAX_WEAPON_LEVEL


class LevelBandFilter(admin.SimpleListFilter):
    """Level bands of ten (a range on the indexed column; a DISTINCT over millions of rows is not)."""

    title = _("level")
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [(str(low), f"{low}-{low + 9}") for low in range(0, 100, 10)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        low = typed_int(self.value())
        if low is None:  # a band typed into the address bar, not one of ours
            return queryset.none()
        return queryset.filter(level__gte=low, level__lte=low + 9)


class GmActionForm(ActionForm):
    # Text, not an IntegerField: a box that is not a number would make Django drop the whole form
    # with "No action selected."; each action that takes a number says what it needs instead.
    value = forms.CharField(label=_("amount / level / minutes"), required=False, max_length=20)


EXP_RANGE = (1, MAX_EXP)  # GAME.md §3: exp 0–2,000,000,000
WEAPON_LEVEL_RANGE = (1, MAX_WEAPON_LEVEL)  # GAME.md §3: weapon level 1–1,000
MUTE_MINUTES_RANGE = (1, 366 * 24 * 60)  # up to a year; a ban is for longer


def _box_number(text: str, low: int, high: int) -> int | None:
    """The value box as a whole number within [low, high], else None."""
    text = text.strip()
    number = typed_int(text)
    return number if number is not None and low <= number <= high else None


def _gm_action(name: str, label, service, value: tuple | None = None):
    """An admin action calling `service(actor, character, number)` for each selected character;
    `value` = (what, (lowest, highest)) when it takes the number in the value box."""

    def action(modeladmin, request, queryset):
        number = None
        if value is not None:
            what, (low, high) = value
            number = _box_number(request.POST.get("value", ""), low, high)
            if number is None:
                wanted = _("Type the %(what)s in the box: a whole number from %(low)s to %(high)s.")
                modeladmin.message_user(request, wanted % {"what": what, "low": f"{low:,}", "high": f"{high:,}"},
                                        messages.ERROR)  # fmt: skip
                return
        for character in queryset.select_related("user"):
            service(request.user, character, number)
        done = _("Done for %(count)d player(s); see the audit log.")
        modeladmin.message_user(request, done % {"count": queryset.count()})

    action.__name__ = name
    action.short_description = label
    return action


@admin.register(Character)
class CharacterAdmin(LargeTableAdmin):
    list_display = ("name", "level", "exp", "hp", "max_hp", "weapon_level", "kills", "user")
    search_fields = ("^name",)  # a prefix: LIKE 'abc%' uses the unique index
    search_help_text = large_list_help(_("The start of a character's name (user12 finds user12, user120, …)."))
    search_ordering = "name"
    list_filter = (LevelBandFilter,)
    sortable_by = ("name", "level")  # the indexed ones
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    action_form = GmActionForm
    actions = [
        _gm_action("heal", _("Heal (full HP and MP)"), lambda actor, c, v: gm.gm_heal(actor=actor, character=c)),
        _gm_action("grant_exp", _("Grant exp (amount)"),
                   lambda actor, c, v: gm.gm_exp_grant(actor=actor, character=c, amount=v), (_("amount"), EXP_RANGE)),
        _gm_action("set_weapon", _("Set weapon level (level)"),
                   lambda actor, c, v: gm.gm_weapon_set(actor=actor, character=c, weapon_level=v),
                   (_("level"), WEAPON_LEVEL_RANGE)),
        _gm_action("reset", _("Reset to level 1"), lambda actor, c, v: gm.gm_character_reset(actor=actor, character=c)),
        _gm_action("mute", _("Mute chat (minutes)"),
                   lambda actor, c, v: gm.gm_mute(actor=actor, character=c,
                                                  until=timezone.now() + timedelta(minutes=v)),
                   (_("minutes"), MUTE_MINUTES_RANGE)),
        _gm_action("unmute", _("Lift the chat mute"),
                   lambda actor, c, v: gm.gm_mute(actor=actor, character=c, until=None)),
        _gm_action("kick", _("Kick (disconnect now)"), lambda actor, c, v: gm.gm_kick(actor=actor, character=c)),
        _gm_action("ban", _("Ban the account (and sign out now)"),
                   lambda actor, c, v: gm.gm_ban(actor=actor, character=c)),
        _gm_action("unban", _("Lift the ban"), lambda actor, c, v: gm.gm_unban(actor=actor, character=c)),
    ]  # fmt: skip


@admin.register(User)
class UserAdmin(DjangoUserAdmin, LargeTableAdmin):
    list_display = ("username", "is_active", "is_staff", "date_joined")
    list_filter = ("is_staff",)
    search_fields = ("^username",)
    search_help_text = large_list_help(_("The start of a username."))
    search_ordering = "username"
    sortable_by = ("username",)
    ordering = ("-id",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Chat"), {"fields": ("chat_muted_until",)}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        """A mute or a deactivation here acts as the Characters actions do: at once, with an audit
        entry (done before the save, which would otherwise be the entry's "before")."""
        character = Character.objects.select_related("user").filter(user_id=obj.pk).first() if change else None
        if character is not None and "chat_muted_until" in form.changed_data:
            gm.gm_mute(actor=request.user, character=character, until=obj.chat_muted_until)
        if character is not None and "is_active" in form.changed_data:
            (gm.gm_unban if obj.is_active else gm.gm_ban)(actor=request.user, character=character)
        super().save_model(request, obj, form, change)


@admin.register(AuditEntry)
class AuditEntryAdmin(LargeTableAdmin):
    list_display = ("created_at", "actor_name", "action", "target_name", "before", "after")
    list_filter = ("action",)
    # Exact names: a prefix of a player's name would gather entries from across the table to sort them.
    search_fields = ("=target_name",)
    search_help_text = large_list_help(_("A player's exact name."))
    sortable_by = ("created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
