"""Tests run against the real MariaDB, Redis and a real Celery worker (see tests/conftest.py)."""

import os

os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/test")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")

from .base import *
from .base import GAME

GAME["FLUSH_INTERVAL"] = 1.0
GAME["EVENT_CHECK"] = True  # every event told, in every process, is checked against its schema
CELERY_BEAT_SCHEDULE["characters-flush"]["schedule"] = GAME["FLUSH_INTERVAL"]
# The tests type far faster than people (a walk through every scene and alias sends ~400 commands
# back to back); the flood tests send twice a bucket at once, which still overruns these.
GAME["COMMAND_RATE"] = 150.0
GAME["COMMAND_BURST"] = 1000
GAME["ACCOUNT_FRAME_RATE"] = 150.0
GAME["ACCOUNT_FRAME_BURST"] = 1000
GAME["ADDRESS_FRAME_RATE"] = 150.0
GAME["ADDRESS_FRAME_BURST"] = 2000
# Tests move the battles' clock forward (past the 8-hour offline cap, say) in every process.
GAME["BATTLE_CLOCK_KEY"] = "mud:test:clock"
GAME["BATTLE_IDLE_CYCLE_SECONDS"] = 1.0
GAME["BATTLE_OFFLINE_CYCLE_SECONDS"] = 1.0  # the tests that need the shipped cadence set it
# The rankings' check rebuilds lost boards within a second, not a minute (the rebuild test waits on it).
CELERY_BEAT_SCHEDULE["rankings-check"]["schedule"] = 1.0
GAME["WHO_FRESH_MS"] = 1000  # the tests look for a level change within seconds
