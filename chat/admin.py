from django.contrib import admin

from chat.models import ChatMessage
from mudserver.admin_tools import LargeTableAdmin


@admin.register(ChatMessage)
class ChatMessageAdmin(LargeTableAdmin):
    list_display = ("created_at", "channel", "sender_name", "recipient_name", "text")
    # Dates by range (bounds computed in Python), not date_hierarchy: its truncation needs CONVERT_TZ,
    # which fails on a MariaDB without time zone tables (a fresh Debian one has none).
    list_filter = ("channel", ("created_at", admin.DateFieldListFilter))
    search_fields = ("^sender_name", "^recipient_name", "text")
    raw_id_fields = ("sender",)

    # What players said is evidence: nobody edits or deletes it here (superusers neither).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
