"""The embedded default: one machine, SQLite unless DATABASE_URL says otherwise."""

from .base import *
from .base import LOGGING, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Readable lines for a person watching the embedded run; LOG_FORMAT=json gives what production logs.
LOG_FORMAT = env.str("LOG_FORMAT", default="console")
LOGGING["formatters"]["structured"]["renderer"] = LOG_FORMAT
