# The Celery app is loaded with Django, so that tasks sent from web processes (the arena's timers)
# go to the configured broker (Celery's documented layout).
from celery_app import app as celery_app

__all__ = ("celery_app",)
