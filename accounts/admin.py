from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from django.utils.translation import gettext_lazy as _

from accounts.models import Character, User
from chat.services import chat_mute, chat_mute_for


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "is_active", "is_staff", "date_joined")
    list_filter = ("is_staff", "is_active")
    search_fields = ("username",)
    ordering = ("id",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Chat", {"fields": ("chat_muted_until",)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "chat_muted_until" in form.changed_data and hasattr(obj, "character"):
            chat_mute(character_id=obj.character.pk, until=obj.chat_muted_until)


def _mute_action(minutes: int, label: str):
    def mute(modeladmin, request, queryset):
        for character_id in queryset.values_list("pk", flat=True):
            chat_mute_for(character_id=character_id, minutes=minutes)
        modeladmin.message_user(request, _("Muted %(count)d player(s).") % {"count": queryset.count()})

    mute.__name__ = f"mute_{minutes}"
    mute.short_description = label
    return mute


@admin.action(description=_("Lift the chat mute"))
def unmute(modeladmin, request, queryset):
    for character_id in queryset.values_list("pk", flat=True):
        chat_mute(character_id=character_id, until=None)


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "exp", "hp", "max_hp", "weapon_level", "user")
    search_fields = ("name",)
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    actions = [_mute_action(10, _("Mute chat for 10 minutes")), _mute_action(60, _("Mute chat for an hour")),
               _mute_action(24 * 60, _("Mute chat for a day")), unmute]  # fmt: skip
