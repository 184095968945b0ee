"""Admin pieces that stay fast at millions of rows, and the live page of online players."""

from functools import cached_property

from asgiref.sync import async_to_sync
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.template.response import TemplateResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from mudserver.presence import online_count, online_players

COUNT_CAP = 10_000
LARGE_LIST_HELP = _(
    "A sorted, searched or filtered list shows its first 10,000 rows; the newest-first list has every row."
)


def large_list_help(search):
    """The search box's help for a large table: what the search matches (a prefix or an exact value,
    which an index finds; never a substring, which would read the whole table) and the list's limit."""
    return format_lazy("{} {}", search, LARGE_LIST_HELP)


def _pk_order(object_list) -> str | None:
    """ "pk" or "-pk" when the list is ordered by the primary key alone, else None."""
    order = list(object_list.query.order_by)
    names = {"pk", object_list.model._meta.pk.name, object_list.model._meta.pk.attname}
    if len(order) == 1 and isinstance(order[0], str) and order[0].lstrip("-") in names:
        return "-pk" if order[0].startswith("-") else "pk"
    return None


class LargeTablePaginator(Paginator):
    """Pages that cost the same on page 1, page 5,000 and the last page, at millions of rows.

    An unfiltered list in primary-key order pages by blocks of ids: page n holds the ids from
    (n - 1)·per_page to n·per_page counted from the newest (or oldest), found through the primary key,
    so no page skips rows with OFFSET; an id left unused (a deleted row) leaves its page one row short.
    Any other list (searched, filtered or sorted) counts at most COUNT_CAP rows, so its deepest
    page is an OFFSET of at most COUNT_CAP entries of an index.
    """

    @cached_property
    def _id_span(self) -> tuple[int, int] | None:
        if self.object_list.query.where or _pk_order(self.object_list) is None:
            return None
        span = self.object_list.model._default_manager.aggregate(first=Min("pk"), last=Max("pk"))
        return (span["first"], span["last"]) if span["first"] is not None else None

    @cached_property
    def count(self) -> int:
        if self._id_span is not None:
            first, last = self._id_span
            return last - first + 1
        return self.object_list.order_by()[:COUNT_CAP].count()  # any COUNT_CAP rows: no sort needed

    def page(self, number):
        number = self.validate_number(number)
        if self._id_span is None:
            return self._page_by_offset(number)
        first, last = self._id_span
        skipped = (number - 1) * self.per_page
        if _pk_order(self.object_list) == "-pk":
            high = last - skipped
            low = high - self.per_page + 1
        else:
            low = first + skipped
            high = low + self.per_page - 1
        return self._get_page(self.object_list.filter(pk__gte=low, pk__lte=high), number, self)

    def _page_by_offset(self, number):
        """The page's ids first, then its rows: the OFFSET then skips entries of the index that
        filters or sorts (which hold the id), not whole rows each looked up in the table."""
        skipped, top = (number - 1) * self.per_page, min(number * self.per_page, self.count)
        if skipped == 0:
            return self._get_page(self.object_list[:top], number, self)
        ids = list(self.object_list.values_list("pk", flat=True)[skipped:top])
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class LargeTableChangeList(ChangeList):
    def _get_deterministic_ordering(self, ordering):
        """Django's total ordering, made to fit the indexes: nothing after a unique column (MariaDB
        reads a unique index in order only for that column), and the primary key that makes any
        other sort total going the way the sort's first column goes (Django always appends "-pk"):
        an index on a column holds (column, id), so read one way it serves the whole ORDER BY, where
        a mixed direction would sort every row of the table."""
        ordering = super()._get_deterministic_ordering(ordering)
        pk = self.lookup_opts.pk
        total = {"pk", pk.name, pk.attname} | {f.name for f in self.lookup_opts.fields if f.unique and not f.null}
        for position, part in enumerate(ordering):
            if isinstance(part, str) and part.lstrip("-") in total:
                ordering = ordering[: position + 1]
                break
        if len(ordering) > 1 and ordering[-1] in ("pk", "-pk") and isinstance(ordering[0], str):
            ordering[-1] = "-pk" if ordering[0].startswith("-") else "pk"
        return ordering


class LargeTableAdmin(admin.ModelAdmin):
    """Defaults for tables with millions of rows: newest first, paged by id blocks, and only sorts
    that an index serves (each admin's sortable_by)."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-pk",)
    # The column a prefix search reads its index by: its results come in that order, which the index
    # gives straight away (newest first, a rare prefix could mean reading most of the table backwards).
    search_ordering: str | None = None

    def get_changelist(self, request, **kwargs):
        return LargeTableChangeList

    def get_ordering(self, request):
        if self.search_ordering and request.GET.get(SEARCH_VAR, "").strip():
            return (self.search_ordering,)
        return super().get_ordering(request)


class EvidenceAdmin(admin.ModelAdmin):
    """A record that is evidence (what players said, what staff did): nobody adds, changes or deletes
    one through the admin, superusers neither."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@permission_required("accounts.view_character", raise_exception=True)
def online_view(request):
    """Who is online now (from Redis presence): count, names and scenes."""
    context = {
        **admin.site.each_context(request),
        "title": "Online now",
        "players": async_to_sync(online_players)(limit=500),
        "count": async_to_sync(online_count)(),
    }
    return TemplateResponse(request, "admin/mud_online.html", context)
