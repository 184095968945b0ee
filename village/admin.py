from django.contrib import admin

from accounts.audit import AuditedAdmin
from village.models import NpcLine


@admin.register(NpcLine)
class NpcLineAdmin(AuditedAdmin):
    list_display = ("npc", "text_ko", "text_en")
    list_filter = ("npc",)
    search_fields = ("text_ko", "text_en")
