from datetime import timedelta

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import gm
from accounts.audit import AuditedAdmin, audit_write
from accounts.character_state import INT_FIELDS, character_state_get_sync
from accounts.models import AuditEntry, Character, SetAsideWrite, User
from accounts.passwords import ServerBusy, run_hashing
from accounts.progression import MAX_EXP, MAX_WEAPON_LEVEL
from mudserver.admin_tools import EvidenceAdmin, LargeTableAdmin, large_list_help
from mudserver.numbers import typed_int


class PooledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login checks the password on the game's bounded hashing pool (accounts.passwords),
    not on the request's own thread: a flood of admin logins queues with the game's sign-ins instead
    of taking every HTTP thread's CPU, and is told the server is busy past the queue's limit."""

    def clean(self):
        try:
            return async_to_sync(run_hashing)(super().clean)
        except ServerBusy:
            raise ValidationError(_("The server is busy; please try again in a moment.")) from None


admin.site.login_form = PooledAdminAuthenticationForm


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
MUTE_MINUTES_RANGE = (1, gm.MUTE_MINUTES_MAX)


def _box_number(text: str, low: int, high: int) -> int | None:
    """The value box as a whole number within [low, high], else None."""
    text = text.strip()
    number = typed_int(text)
    return number if number is not None and low <= number <= high else None


def _gm_action(name: str, label, permission: str, service, value: tuple | None = None, note=None):
    """An admin action calling `service(actor, character, number)` for each selected character, for
    staff with the accounts.<permission> permission; `value` = (what, (lowest, highest)) when it takes
    the number in the value box; `note(entries, number)` may add a warning about what was done."""

    def action(modeladmin, request, queryset):
        number = None
        if value is not None:
            what, (low, high) = value
            number = _box_number(request.POST.get("value", ""), low, high)
            if number is None:
                wanted = _("Type the %(what)s in the box: a whole number from %(low)s to %(high)s.")
                modeladmin.message_user(
                    request, wanted % {"what": what, "low": f"{low:,}", "high": f"{high:,}"}, messages.ERROR
                )
                return
        entries = [service(request.user, character, number) for character in queryset.select_related("user")]
        done = _("Done for %(count)d player(s); see the audit log.")
        modeladmin.message_user(request, done % {"count": len(entries)})
        warning = note(entries, number) if note else None
        if warning:
            modeladmin.message_user(request, warning, messages.WARNING)

    action.__name__ = name
    action.short_description = label
    action.allowed_permissions = (permission,)
    return action


def _exp_capped(entries: list[AuditEntry], amount: int) -> str | None:
    capped = sum(1 for entry in entries if entry.after["exp"] - entry.before["exp"] < amount)
    if not capped:
        return None
    return gettext("Exp stops at 2,000,000,000: %(count)d player(s) got less.") % {"count": capped}


def _permission_check(codename: str):
    """A ModelAdmin's has_<codename>_permission, which an action's allowed_permissions names."""

    def check(self, request) -> bool:
        return request.user.has_perm(f"accounts.{codename}")

    return check


class MuteForm(forms.Form):
    minutes = forms.IntegerField(label=_("minutes (0 lifts the mute)"), min_value=0, max_value=MUTE_MINUTES_RANGE[1])


@admin.register(Character)
class CharacterAdmin(AuditedAdmin, LargeTableAdmin):
    list_display = ("name", "level", "exp", "hp", "max_hp", "weapon_level", "kills", "user")
    search_fields = ("^name",)  # a prefix: LIKE 'abc%' uses the unique index
    search_help_text = large_list_help(_("The start of a character's name (user12 finds user12, user120, …)."))
    search_ordering = "name"
    list_filter = (LevelBandFilter,)
    sortable_by = ("name", "level")  # the indexed ones
    raw_id_fields = ("user",)
    readonly_fields = ("chat_mute",)

    def get_readonly_fields(self, request, obj=None):
        """Moving a character to another account is for superusers alone."""
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, "user")

    list_select_related = ("user",)
    action_form = GmActionForm
    actions = [
        _gm_action(
            "heal",
            _("Heal (full HP and MP)"),
            "heal_character",
            lambda actor, c, v: gm.gm_heal(actor=actor, character=c),
        ),
        _gm_action(
            "grant_exp",
            _("Grant exp (amount)"),
            "grant_exp",
            lambda actor, c, v: gm.gm_exp_grant(actor=actor, character=c, amount=v),
            (_("amount"), EXP_RANGE),
            note=_exp_capped,
        ),
        _gm_action(
            "set_weapon",
            _("Set weapon level (level)"),
            "set_weapon_level",
            lambda actor, c, v: gm.gm_weapon_set(actor=actor, character=c, weapon_level=v),
            (_("level"), WEAPON_LEVEL_RANGE),
        ),
        _gm_action(
            "reset",
            _("Reset to level 1"),
            "reset_character",
            lambda actor, c, v: gm.gm_character_reset(actor=actor, character=c),
        ),
        _gm_action(
            "mute",
            _("Mute chat (minutes)"),
            "mute_player",
            lambda actor, c, v: gm.gm_mute(actor=actor, character=c, until=timezone.now() + timedelta(minutes=v)),
            (_("minutes"), MUTE_MINUTES_RANGE),
        ),
        _gm_action(
            "unmute",
            _("Lift the chat mute"),
            "mute_player",
            lambda actor, c, v: gm.gm_mute(actor=actor, character=c, until=None),
        ),
        _gm_action(
            "kick", _("Kick (disconnect now)"), "kick_player", lambda actor, c, v: gm.gm_kick(actor=actor, character=c)
        ),
        _gm_action(
            "ban",
            _("Ban the account (and sign out now)"),
            "ban_player",
            lambda actor, c, v: gm.gm_ban(actor=actor, character=c),
        ),
        _gm_action("unban", _("Lift the ban"), "ban_player", lambda actor, c, v: gm.gm_unban(actor=actor, character=c)),
    ]

    def get_object(self, request, object_id, from_field=None):
        """The live values where the character has them (Redis owns them; the row may be seconds
        behind, or be missing values the database refused)."""
        character = super().get_object(request, object_id, from_field)
        live = character_state_get_sync(character.pk) if character is not None else None
        for field, value in (live or {}).items():
            setattr(character, field, value)
        return character

    has_heal_character_permission = _permission_check("heal_character")
    has_grant_exp_permission = _permission_check("grant_exp")
    has_set_weapon_level_permission = _permission_check("set_weapon_level")
    has_reset_character_permission = _permission_check("reset_character")
    has_mute_player_permission = _permission_check("mute_player")
    has_kick_player_permission = _permission_check("kick_player")
    has_ban_player_permission = _permission_check("ban_player")

    def save_model(self, request, obj, form, change):
        """The values the game keeps in the hot state go through it (else the next write-behind would
        put the old ones back), with their audit entry."""
        live = [field for field in form.changed_data if field in INT_FIELDS]
        if change and live:
            changes = {field: form.cleaned_data[field] for field in live}
            saved = Character.objects.get(pk=obj.pk)  # `obj` holds the form's values already
            gm.gm_character_edit(actor=request.user, character=saved, changes=changes)
            form.audited_elsewhere = live
        super().save_model(request, obj, form, change)

    @admin.display(description=_("chat mute"))
    def chat_mute(self, character):
        until = character.user.chat_muted_until
        state = gettext("not muted")
        if until:
            state = gettext("muted until %(until)s") % {"until": f"{timezone.localtime(until):%Y-%m-%d %H:%M}"}
        url = reverse("admin:accounts_character_mute", args=[character.pk])
        return format_html('{} — <a href="{}">{}</a>', state, url, gettext("Mute or lift…"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.mute_view)
        return [path("<int:character_id>/mute/", view, name="accounts_character_mute"), *super().get_urls()]

    def mute_view(self, request, character_id: int):
        """Mute a player's chat for some minutes, or lift the mute: needs only the mute_player
        permission (not the right to change users)."""
        if not self.has_mute_player_permission(request):
            raise PermissionDenied
        character = get_object_or_404(Character.objects.select_related("user"), pk=character_id)
        form = MuteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            minutes = form.cleaned_data["minutes"]
            until = timezone.now() + timedelta(minutes=minutes) if minutes else None
            gm.gm_mute(actor=request.user, character=character, until=until)
            self.message_user(request, gettext("Done for %(count)d player(s); see the audit log.") % {"count": 1})
            return redirect("admin:accounts_character_changelist")
        title = gettext("Mute %(name)s") % {"name": character.name}
        context = {**self.admin_site.each_context(request), "title": title, "form": form, "opts": self.opts}
        return TemplateResponse(request, "admin/accounts/character/mute.html", context)


SUPERUSER_ONLY_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin, LargeTableAdmin):
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

    def get_fieldsets(self, request, obj=None):
        """Only a superuser sees or gives staff status, superuser status, groups and permissions (a field
        not on the form is not saved, whatever is posted)."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        """A ban (unticking "active") and a mute need their own permissions, as the actions do."""
        fields = [*super().get_readonly_fields(request, obj)]
        if not request.user.has_perm("accounts.ban_player"):
            fields.append("is_active")
        if not request.user.has_perm("accounts.mute_player"):
            fields.append("chat_muted_until")
        return fields

    def has_change_permission(self, request, obj=None):
        """Staff accounts (their passwords too) are the superusers' to change: a game master who may
        change players cannot take over a more powerful account."""
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def audit_target(self, user):
        """A player's entries name their character's id, as the actions' entries do."""
        return Character.objects.filter(user_id=user.pk).values_list("pk", flat=True).first(), user.username

    def save_model(self, request, obj, form, change):
        """A mute or a deactivation here acts as the Characters actions do: at once, with an audit
        entry (done before the save, which would otherwise be the entry's "before")."""
        character = Character.objects.select_related("user").filter(user_id=obj.pk).first() if change else None
        if character is not None and "chat_muted_until" in form.changed_data:
            gm.gm_mute(actor=request.user, character=character, until=obj.chat_muted_until)
        if character is not None and "is_active" in form.changed_data:
            (gm.gm_unban if obj.is_active else gm.gm_ban)(actor=request.user, character=character)
        if character is not None:
            form.audited_elsewhere = ("chat_muted_until", "is_active")
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # saved
            user = User.objects.get(pk=id)
            # The trail never holds a password or its hash: only that it changed.
            audit_write(
                actor=request.user,
                action="change_password",
                target=self.audit_target(user),
                before={"password": "old"},
                after={"password": "new"},
            )
        return response


class StaffMemberFilter(admin.SimpleListFilter):
    """Entries by one staff member (the staff are few: is_staff is indexed)."""

    title = _("staff member")
    parameter_name = "actor_name"

    def lookups(self, request, model_admin):
        names = User.objects.filter(is_staff=True).order_by("username").values_list("username", flat=True)
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        return queryset.filter(actor_name=self.value()) if self.value() else queryset


class TargetFilter(admin.SimpleListFilter):
    """Entries about one player (or content row): chosen by clicking a target in the list."""

    title = _("player")
    parameter_name = "target_id"

    def lookups(self, request, model_admin):
        target_id = typed_int(self.value() or "")
        if target_id is None:
            return []
        name = AuditEntry.objects.filter(target_id=target_id).values_list("target_name", flat=True).first()
        return [(self.value(), f"{name or ''} #{target_id}")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        target_id = typed_int(self.value())
        return queryset.filter(target_id=target_id) if target_id is not None else queryset.none()


@admin.register(AuditEntry)
class AuditEntryAdmin(EvidenceAdmin, LargeTableAdmin):
    """The audit trail, append-only: nobody adds, changes or deletes an entry here (superusers neither)."""

    list_display = ("created_at", "actor", "action", "target", "before", "after")
    # Each filter (and each with the date) is served by an index of 0013_audit_filters_in_id_order; the
    # date's bounds are computed in Python, as Chat messages' are.
    list_filter = (StaffMemberFilter, "action", TargetFilter, ("created_at", admin.DateFieldListFilter))
    # Exact names: a prefix of a player's name would gather entries from across the table to sort them.
    search_fields = ("=target_name",)
    search_help_text = large_list_help(_("A player's exact name."))
    sortable_by = ("created_at",)

    @admin.display(description=_("game master"), ordering="actor_name")
    def actor(self, entry):
        return format_html('<a href="?{}">{}</a>', urlencode({"actor_name": entry.actor_name}), entry.actor_name)

    @admin.display(description=_("player"))
    def target(self, entry):
        if entry.target_id is None:
            return entry.target_name
        return format_html('<a href="?{}">{}</a>', urlencode({"target_id": entry.target_id}), entry.target_name)


@admin.register(SetAsideWrite)
class SetAsideWriteAdmin(admin.ModelAdmin):
    """Characters whose values the database refused (the write-behind wrote everyone else): a game
    master fixes the character (its change form or an action) and the row is marked resolved once
    the next write of that character succeeds. Read-only: only a superuser deletes a row."""

    list_display = (
        "character_name",
        "character_link",
        "values",
        "error",
        "attempts",
        "first_failed_at",
        "last_failed_at",
        "resolved_at",
    )
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    search_fields = ("^character_name",)

    @admin.display(description=_("character"))
    def character_link(self, entry):
        url = reverse("admin:accounts_character_change", args=[entry.character_id])
        return format_html('<a href="{}">{}</a>', url, _("fix"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
