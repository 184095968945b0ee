from django.contrib import admin

from chat.models import ChatMessage


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "sender_name", "recipient_name", "text")
    list_filter = ("channel",)
    search_fields = ("sender_name__startswith", "recipient_name__startswith", "text")
    raw_id_fields = ("sender",)
    date_hierarchy = "created_at"
    show_full_result_count = False
