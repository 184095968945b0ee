from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from chat.models import ChatMessage, Report
from chat.people import report_close
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


def _may_handle_reports(request) -> bool:
    return request.user.is_active and request.user.has_perm("chat.handle_reports")


@admin.register(Report)
class ReportAdmin(EvidenceAdmin):
    """Players' reports, open ones first. Only staff with `handle_reports` (or superusers) see them at
    all; nobody adds, edits or deletes one here: the one change is closing, which is audited."""

    list_display = ("created_at", "is_open", "reporter_name", "target_name", "reason", "closed_by", "closed_at")
    list_filter = ("is_open",)
    search_fields = ("=target_name", "=reporter_name")
    search_help_text = _("A player's exact name: the reports on them or by them.")
    actions = ["close_reports"]
    fields = ("created_at", "reporter_name", "target_name", "reason", "is_open", "closed_by", "closed_at", "chat_shown")
    readonly_fields = fields

    def has_module_permission(self, request):
        return _may_handle_reports(request)

    def has_view_permission(self, request, obj=None):
        return _may_handle_reports(request)

    def has_handle_permission(self, request):
        return _may_handle_reports(request)

    @admin.display(description=_("recent chat of both players (when reported)"))
    def chat_shown(self, report: Report):
        if not report.chat:
            return _("(no messages)")
        return format_html(
            "<pre>{}</pre>",
            "\n".join(
                f"{m['at'][:19].replace('T', ' ')} [{m['channel']}] {m['from']}"
                + (f" → {m['to']}" if m["to"] else "")
                + f": {m['text']}"
                for m in report.chat
            ),
        )

    @admin.action(description=_("Close the selected reports"), permissions=["handle"])
    def close_reports(self, request, queryset):
        closed = [report for report in queryset.filter(is_open=True) if report_close(report, request.user)]
        self.message_user(request, _("Closed %(count)d report(s); see the audit log.") % {"count": len(closed)})
