"""Admin pieces that stay fast at millions of rows, and the live pages (online players, battles)."""

from functools import cached_property

from asgiref.sync import async_to_sync
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import connection
from django.template.response import TemplateResponse

from accounts.audit import audit_deletion, audit_form_save
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


class AuditedAdmin(admin.ModelAdmin):
    """Every add, edit (its form, its inlines, or its row in an editable list) and deletion through
    this admin writes an audit entry."""

    def audit_target(self, row) -> tuple[int | None, str]:
        """What an entry names as its target: (id, name)."""
        return row.pk, str(row)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Fields whose change a service wrote into the trail itself (see UserAdmin.save_model).
        self._audit_form(request, form, change, exclude=getattr(form, "audited_elsewhere", ()))

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk is not None:  # a row, not a blank form ticked for deletion
                self._audit_deletion(request, inline_form.instance)
        super().save_formset(request, form, formset, change)
        for inline_form in formset.initial_forms + formset.extra_forms:
            if inline_form not in formset.deleted_forms and inline_form.has_changed():
                self._audit_form(request, inline_form, change=inline_form in formset.initial_forms)

    def delete_model(self, request, obj):
        self._audit_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            self._audit_deletion(request, row)
        super().delete_queryset(request, queryset)

    def _audit_form(self, request, form, change: bool, exclude=()) -> None:
        row = form.instance
        action = f"{'change' if change else 'add'}_{row._meta.model_name}"
        audit_form_save(actor=request.user, form=form, action=action, target=self.audit_target(row), exclude=exclude)

    def _audit_deletion(self, request, row) -> None:
        audit_deletion(actor=request.user, row=row, action=f"delete_{row._meta.model_name}",
                       target=self.audit_target(row))


@permission_required("accounts.view_character", raise_exception=True)
def online_view(request):
    """Who is online now (from Redis presence): count, names and scenes."""
    context = {**admin.site.each_context(request), "title": "Online now",
               "players": async_to_sync(online_players)(limit=500), "count": async_to_sync(online_count)()}  # fmt: skip
    return TemplateResponse(request, "admin/mud_online.html", context)


@permission_required("accounts.view_character", raise_exception=True)
def battles_view(request):
    """Active battles and how late their cycles run."""
    context = {**admin.site.each_context(request), "title": "Battles", **battles_overview(limit=200)}
    return TemplateResponse(request, "admin/mud_battles.html", context)
