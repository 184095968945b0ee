"""Benchmark: how fast the game masters' admin pages render at the current table sizes.

    manage.py bench_admin [--repeat 5]

Renders each page in-process with Django's test client as a superuser (created if missing: "gm"),
and prints the median time and the number of queries of each.
"""

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Character, User

PAGES = [
    ("/admin/", "admin index"),
    ("/admin/accounts/character/", "characters"),
    ("/admin/accounts/character/?q=user12345", "characters, search by name prefix"),
    ("/admin/accounts/character/?band=30", "characters, level 30-39"),
    ("/admin/accounts/character/?band=30&p=100", "characters, level 30-39, page 100"),
    ("/admin/accounts/user/", "users"),
    ("/admin/accounts/user/?q=user19999", "users, search by username prefix"),
    ("/admin/accounts/user/?is_staff__exact=1", "users, staff only"),
    ("/admin/accounts/character/{pk}/change/", "one character"),
    ("/admin/accounts/auditentry/", "audit log"),
    ("/admin/chat/chatmessage/", "chat messages"),
    ("/admin/live/online/", "online now"),
    ("/admin/live/battles/", "battles"),
]


class Command(BaseCommand):
    help = "Time the admin pages (median of N renders) and count their queries."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, repeat: int, **options):
        gm = User.objects.filter(username="gm").first() or User.objects.create_superuser("gm", "gm-bench-1")
        client = Client(HTTP_HOST="localhost")
        client.force_login(gm)
        pk = Character.objects.order_by("pk").values_list("pk", flat=True).first()
        self.stdout.write(f"users ~{User.objects.count():,}, characters ~{Character.objects.count():,}")
        for url, label in PAGES:
            url = url.format(pk=pk)
            timings, queries = [], 0
            for _attempt in range(repeat):
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                queries = len(captured)
                assert response.status_code == 200, (url, response.status_code)
            self.stdout.write(f"{statistics.median(timings):8.1f} ms  {queries:3d} queries  {label}  ({url})")
