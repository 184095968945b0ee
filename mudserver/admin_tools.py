"""Admin pieces that stay fast at millions of rows, and the live pages (online players, battles)."""

from functools import cached_property

from asgiref.sync import async_to_sync
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.template.response import TemplateResponse

from battles.services import battles_overview
from mudserver.presence import online_count, online_players

COUNT_CAP = 10_000


class EstimatedCountPaginator(Paginator):
    """No COUNT(*) over millions of rows: the table statistics when the list is unfiltered, and
    at most COUNT_CAP counted rows when it is filtered."""

    @cached_property
    def count(self) -> int:
        if not self.object_list.query.where and connection.vendor == "mysql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0]:
                return int(row[0])
        return self.object_list[:COUNT_CAP].count()


class LargeTableAdmin(admin.ModelAdmin):
    """Defaults for tables with millions of rows."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50


def online_view(request):
    """Who is online now (from Redis presence): count, names and scenes."""
    context = {**admin.site.each_context(request), "title": "Online now",
               "players": async_to_sync(online_players)(limit=500), "count": async_to_sync(online_count)()}  # fmt: skip
    return TemplateResponse(request, "admin/mud_online.html", context)


def battles_view(request):
    """Active battles and how late their cycles run."""
    context = {**admin.site.each_context(request), "title": "Battles", **battles_overview(limit=200)}
    return TemplateResponse(request, "admin/mud_battles.html", context)
