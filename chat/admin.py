from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chat.models import ChatMessage
from mudserver.admin_tools import EvidenceAdmin, LargeTableAdmin, large_list_help


@admin.register(ChatMessage)
class ChatMessageAdmin(EvidenceAdmin, LargeTableAdmin):
    list_display = ("created_at", "channel", "sender_name", "recipient_name", "text")
    # Dates by range (bounds computed in Python), not date_hierarchy: its truncation needs CONVERT_TZ,
    # which fails on a MariaDB without time zone tables (a fresh Debian one has none).
    list_filter = ("channel", ("created_at", admin.DateFieldListFilter))
    # A player's exact name, sent or received (an index each); a search through the text would read
    # every message.
    search_fields = ("=sender_name", "=recipient_name")
    search_help_text = large_list_help(_("A player's exact name: the messages they sent or received."))
    sortable_by = ("created_at", "channel", "sender_name")  # the indexed ones
    raw_id_fields = ("sender",)
