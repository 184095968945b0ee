"""The Celery application: battle cycles, write-behind flushes and sweeps (see DESIGN.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mudserver.settings.dev")

app = Celery("mudserver")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Logs and metrics of every process that loads the app: keeps Django's logging in Celery processes,
# carries the command id in task headers, counts tasks and serves worker and beat metrics.
import mudserver.celery_signals
