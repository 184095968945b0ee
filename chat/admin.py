from django.contrib import admin

from chat.models import ChatMessage
from mudserver.admin_tools import LargeTableAdmin


@admin.register(ChatMessage)
class ChatMessageAdmin(LargeTableAdmin):
    list_display = ("created_at", "channel", "sender_name", "recipient_name", "text")
    list_filter = ("channel",)
    search_fields = ("^sender_name", "^recipient_name", "text")
    raw_id_fields = ("sender",)
    date_hierarchy = "created_at"
