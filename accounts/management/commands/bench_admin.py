"""Benchmark: how fast the game masters' admin pages render at the current table sizes.

    manage.py bench_admin [--repeat 5]

Times, for every model registered in the admin, its changelist, a search (a value taken from the
list's first row, and a shorter prefix of it where the search takes prefixes), every filter (its
first and last choices, and the last page of each), every sort the list offers (both ways), page
5,000 and the last page, and one change form; and the admin index and the live pages.
Each page is rendered in-process with Django's test client as a superuser ("gm", created if
missing): server time, no network. Prints the median of --repeat renders after one warm-up render,
and the number of queries, of each page it times.
"""

import statistics
import time

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import User

DEEP_PAGE = 5_000
LIVE_PAGES = [("/admin/", "admin index"), ("/admin/live/online/", "online now"), ("/admin/live/battles/", "battles")]


def admin_pages(user) -> list[tuple[str, str]]:
    """(url, label) of every page the benchmark times, derived from the admin's registry, so that a
    model registered later is timed too."""
    pages = list(LIVE_PAGES)
    for model, model_admin in admin.site._registry.items():
        pages += _model_pages(model, model_admin, user)
    return pages


def _model_pages(model, model_admin, user) -> list[tuple[str, str]]:
    name = str(model._meta.verbose_name_plural)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    changelist = _changelist(model_admin, url, user)
    pages = [(url, name)]
    row = next(iter(changelist.result_list), None)
    if changelist.search_fields and row is not None:
        field = changelist.search_fields[0].lstrip("^=@")
        value = str(getattr(row, field, None) or "")  # a plain field of the row (a lookup through a relation is not)
        # A prefix search also by a shorter prefix, which matches thousands of rows rather than a few.
        shorter = [value[: len(value) * 3 // 4]] if changelist.search_fields[0].startswith("^") else []
        for term in filter(None, [value, *shorter]):
            pages.append((f"{url}?{urlencode({SEARCH_VAR: term})}", f"{name}, search {field} {term!r}"))
    for spec in changelist.filter_specs:
        choices = [c for c in spec.choices(changelist) if not c["selected"] and c["query_string"] != "?"]
        for choice in {id(c): c for c in (choices[:1] + choices[-1:])}.values():
            filtered, label = f"{url}{choice['query_string']}", f"{name}, filter {spec.title}: {choice['display']}"
            pages.append((filtered, label))
            last = _changelist(model_admin, filtered, user).paginator.num_pages
            if last > 1:
                pages.append((f"{filtered}&{urlencode({PAGE_VAR: last})}", f"{label}, last page ({last:,})"))
    for index, field_name in enumerate(changelist.list_display):
        if field_name in changelist.sortable_by and changelist.get_ordering_field(field_name) is not None:
            for sign, way in (("", "ascending"), ("-", "descending")):
                sorted_url = f"{url}?{urlencode({ORDER_VAR: f'{sign}{index}'})}"
                pages.append((sorted_url, f"{name}, sorted by {field_name} {way}"))
    if changelist.paginator.num_pages >= DEEP_PAGE:
        pages.append((f"{url}?{urlencode({PAGE_VAR: DEEP_PAGE})}", f"{name}, page {DEEP_PAGE:,}"))
    last = changelist.paginator.num_pages
    pages.append((f"{url}?{urlencode({PAGE_VAR: last})}", f"{name}, last page ({last:,})"))
    if row is not None:
        change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
        pages.append((change, f"{name}, one row's change form"))
    return pages


def _changelist(model_admin, url: str, user):
    request = RequestFactory().get(url)
    request.user = user
    return model_admin.get_changelist_instance(request)


class Command(BaseCommand):
    help = "Time every admin list, search, filter, sort and deep page (median of N renders) and count their queries."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, repeat: int, **options):
        gm = User.objects.filter(username="gm").first() or User.objects.create_superuser("gm", "gm-bench-1")
        client = Client(HTTP_HOST="localhost")
        client.force_login(gm)
        pages = admin_pages(gm)
        self.stdout.write(f"{len(pages)} pages, median of {repeat} warm renders each (server time, in-process)")
        self.stdout.write("| page | ms | queries | url |\n|---|---|---|---|")
        for url, label in pages:
            timings, queries = [], 0
            client.get(url)  # warm-up
            for _attempt in range(repeat):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                queries = len(captured)
                assert response.status_code == 200, (url, response.status_code)
            self.stdout.write(f"| {label} | {statistics.median(timings):.1f} | {queries} | `{url}` |")
