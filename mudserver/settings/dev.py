"""The embedded default: one machine, SQLite unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
