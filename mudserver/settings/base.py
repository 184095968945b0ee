"""Settings shared by every environment; everything that differs comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from redis.maint_notifications import MaintNotificationsConfig

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# What a run keeps on this machine: the SQLite database, the bundled Redis's directory, beat's
# schedule, the cluster's files and its kept secret key. MUD_VAR_DIR moves it (the default-run test).
VAR_DIR = Path(env.str("MUD_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Peers (addresses or networks) whose X-Real-IP and X-Forwarded-Proto headers daphne believes: the
# nginx in front of it, which sets them from the connection it accepted (mudserver.client_address).
# Anyone else's headers are ignored, so no client chooses the address the limits count. Loopback
# is where `manage.py cluster`'s nginx connects from; compose lists its own network.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
# A TLS balancer's network, for `manage.py cluster`'s nginx to take the client's address from the
# balancer's X-Forwarded-For (set_real_ip_from); empty: no balancer, the peer is the client.
BALANCER_NETWORKS = env.list("BALANCER_NETWORKS", default=[])
# Networks allowed to reach /admin/ through `manage.py cluster`'s nginx (compose's reads the same
# variable): empty, the default, lets anyone reach its login page (docs/SECURITY.md).
ADMIN_NETWORKS = env.list("ADMIN_NETWORKS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "axes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "mudserver",
    "game",
    "accounts",
    "village",
    "battles",
    "chat",
    "arena",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out admin login into its 429 page
]

ROOT_URLCONF = "game.urls"
ASGI_APPLICATION = "mudserver.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite by default (embedded run), MySQL/MariaDB when DATABASE_URL says so.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'game.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
    )
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker processes write the same file: WAL and a busy timeout avoid "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Keep database connections open between calls: web consumers reach the database through
# database_sync_to_async, which otherwise opens a new MySQL connection for nearly every call.
# Each thread that reaches the database keeps one, so a process holds at most one per such thread:
# - a web process: its WEB_HTTP_THREADS (mudserver.http_threads), the consumers' database thread
#   (database_sync_to_async), accounts.passwords.HASH_THREADS (2) and /healthz's check thread, which
#   closes its own after each check: 4 + 1 + 2 + 1 = 8 with the defaults (its hashing processes,
#   GAME["HASH_PROCESSES"], compute argon2 only and hold none);
# - a Celery worker: one per pool process (--concurrency); Celery closes it around each task;
# - beat: none. README ("Operating it") sums them against MariaDB's max_connections.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# A kept connection that the database dropped while it idled (a restart, an outage) fails its ping
# at the first query of the next call and is replaced, instead of failing that query.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads that run the HTTP requests of a web process (the page, the admin), each keeping one
# database connection; a request waits for a free one.
WEB_HTTP_THREADS = env.int("WEB_HTTP_THREADS", default=4)

# --- Redis: one server carries the channel layer, cache (sessions read through it), Celery broker and hot game state.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Per pool and web process (the game state's and the channel layer's): a pool holds as many
# connections as calls are in flight at its peak, e.g. when a thousand sockets close at once;
# redis-py's default of 100 then fails calls. Redis allows 10,000 clients.
REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=1000)
# For the asyncio pools (game state, channel layer). redis-py 8.1 reuses a pooled connection that the
# server closed while maintenance notifications are on (its default): after a Redis restart each
# pooled connection failed one command (fixed upstream by redis-py #4260). The game uses none.
REDIS_ASYNC_OPTIONS = {"maint_notifications_config": MaintNotificationsConfig(enabled=False)}

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cache",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}
# Sessions are written to the database and read through the Redis cache: a reload resumes without a
# database round trip, and a Redis restart, which empties Redis, signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The game page's own cookie, a signed key naming the session to be (mudserver.sessions); Django's
# session cookie above is the admin's.
GAME_SESSION_COOKIE_NAME = "mud_session"

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's
        # blocking pop: the pop would time out at the edge, so reads get more room.
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": 15,
                    "max_connections": REDIS_MAX_CONNECTIONS,
                    **REDIS_ASYNC_OPTIONS,
                }
            ],
            "prefix": "asgi",
            "capacity": 1000,
            "expiry": 30,
            # Connections renew their groups every HEARTBEAT_SECONDS, so a web process that dies
            # leaves its channels in groups for minutes, not the default day.
            "group_expiry": 300,
        },
    }
}

# --- Accounts
AUTH_USER_MODEL = "accounts.User"
# argon2id at OWASP's minimum (19 MiB, t=2, p=1): ~10 ms a hash here (bin/argon2-native); hashing runs off
# the event loop, argon2 itself in the hashing processes (accounts.passwords). One hasher per algorithm:
# Django verifies with the last one listed under a name, so Django's own Argon2PasswordHasher here
# would verify every "argon2" hash itself, in the caller's thread (ours reads any argon2 hash's
# parameters from the hash, as Django's does).
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Staff passwords (the admin's password forms, createsuperuser, changepassword). Players' passwords
# follow the game's own rule (GAME.md §2, accounts.validation.password_valid), which these leave alone:
# the game's sign-up never calls the validators.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes locks out an address after failed admin logins; the game's sign-in has its own limits
# (accounts.throttles) and never reaches axes (accounts.services.user_authenticate).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ONLY_ADMIN_SITE = True
# Per address, not per account: locking an account would let anyone lock the staff out by typing
# their names. 5 failures lock the address for 15 minutes; a success forgets its failures. Staff are
# few and type their own passwords: 20 guesses an hour per address, against 12-character passwords.
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_MESSAGE = _("Too many failed logins from this address. Try again in 15 minutes.")
# The address the game's limits count: the peer's, or the one nginx vouched for (mudserver.client_address).
AXES_CLIENT_IP_CALLABLE = "mudserver.client_address.request_client_address"
# Its admin pages use a date hierarchy, which needs MariaDB's time zone tables; superusers list and
# lift lockouts with `manage.py axes_list_attempts` and `axes_reset_ip <address>` (docs/SECURITY.md).
AXES_ENABLE_ADMIN = False

# --- Game tunables
GAME = {
    # Password attempts (GAME.md §2). Each reserves its place on every count before the password is
    # hashed (mudserver.ratelimit.window_reserve): guesses sent at once on many sockets are refused,
    # not judged, and a refused attempt costs no hash. A sign-in that succeeds gives its place back.
    # Per account (the name as the database's index folds it): 5 a window of 5 minutes, the rule of
    # GAME.md; at most 60 guesses an hour at one account from anywhere.
    "SIGNIN_ACCOUNT_LIMIT": 5,
    "SIGNIN_ACCOUNT_WINDOW": 300,
    # Per address: a 50-seat PC방 or a carrier's NAT puts many honest players behind one address,
    # so ten accounts' worth of failures (one typo in 5 minutes for every seat) before the address
    # waits; then it waits 60 s, twice as long each time it fills again (up to an hour) until a day
    # passes without: a guesser on one address gets ~350 guesses in its first hour, then 50 an hour.
    "SIGNIN_ADDRESS_LIMIT": 50,
    "SIGNIN_ADDRESS_WINDOW": 300,
    "SIGNIN_ADDRESS_BACKOFF": 60,
    "SIGNIN_ADDRESS_BACKOFF_MAX": 3600,
    "SIGNIN_ADDRESS_BACKOFF_MEMORY": 86400,
    # Sign-ups hash a password as well: 30 per address in 10 minutes lets a PC방 sign up a room of
    # newcomers together and bounds what one address costs in hashes and accounts (180 an hour).
    "SIGNUP_ADDRESS_LIMIT": 30,
    "SIGNUP_ADDRESS_WINDOW": 600,
    # Deleting an account asks for the password: its guesses count as the account's (the limits
    # above, per account and on the sign-in's count per address), since they test the same secret.
    "BAD_FRAME_LIMIT": 20,
    "BAD_FRAME_WINDOW": 10,
    # The gate every client frame passes first (mudserver.ratelimit.FrameBudget); every frame counts,
    # ping included (PROTOCOL.md). A person types a few lines a second; the page pings every 25 s.
    "COMMAND_RATE": 10.0,  # frames per second per connection, sustained
    "COMMAND_BURST": 30,  # ... and at once (a pasted line or two of quick commands)
    # The same for an account, in Redis, so that reconnecting does not refill it (one socket per
    # account: a sign-in elsewhere closes the other).
    "ACCOUNT_FRAME_RATE": 10.0,
    "ACCOUNT_FRAME_BURST": 30,
    # Per client address, in Redis: a 50-seat PC방 behind one address, each seat at 2 frames a
    # second on average, bursting to 6; one address alone cannot use 100 sockets' worth of budget.
    "ADDRESS_FRAME_RATE": 100.0,
    "ADDRESS_FRAME_BURST": 300,
    # Tokens a connection takes from the shared buckets at a time: one Redis round trip per this
    # many frames, at the price of up to this many unused tokens lost when the socket closes.
    "FRAME_LEASE": 10,
    "MAX_FRAME_BYTES": 8192,  # PROTOCOL.md: a raw frame over this is refused before it is parsed
    "MAX_LINE": 1000,
    # Validate every event told against mudserver.events, noting in Redis any that fails (the tests).
    "EVENT_CHECK": False,
    "HASH_QUEUE_LIMIT": 64,
    # Processes per web process that compute argon2 (accounts.passwords); 0 computes it in the caller.
    "HASH_PROCESSES": 2,
    # Write-behind period. A fight's progress reaches the database within an idle cycle plus this
    # (4.5 s), and at once on stop, sign-out and shutdown.
    "FLUSH_INTERVAL": env.float("FLUSH_INTERVAL", default=2.5),
    "WHO_PAGE_SIZE": 20,
    # `who` lists levels at most this old per 2,000 online (accounts.selectors.online_ranked_page;
    # sign-ins and sign-outs show at once). Making the list holds Redis ~10 ms at 2,000 online.
    "WHO_FRESH_MS": 10_000,
    "IGNORE_LIMIT": 100,  # names a player may ignore (chat.people)
    "REPORT_LIMIT": 3,  # reports a player may file per REPORT_WINDOW seconds
    "REPORT_WINDOW": 600,
    "REPORT_CHAT_MESSAGES": 20,  # each player's last messages kept with a report
    # A watched auto-battle is advanced (and its feed sent) this often; an unwatched one (the player
    # offline or elsewhere in the game) less often, which is most of the load of an idle game.
    "BATTLE_CYCLE_SECONDS": env.float("BATTLE_CYCLE_SECONDS", default=1.0),
    "BATTLE_IDLE_CYCLE_SECONDS": env.float("BATTLE_IDLE_CYCLE_SECONDS", default=2.0),
    # An absent player's auto-battle (battles.services.cycle_ms): one cycle a minute does the work of
    # thirty at the idle cadence, with the same result (invariant 4).
    "BATTLE_OFFLINE_CYCLE_SECONDS": env.float("BATTLE_OFFLINE_CYCLE_SECONDS", default=60.0),
    "BATTLE_DISPATCH_SECONDS": 0.25,  # beat hands out the due battles this often
    "BATTLE_BATCH": env.int("BATTLE_BATCH", default=200),  # battles per Celery task
    "OFFLINE_CAP_SECONDS": 8 * 3600,  # an auto-battle pauses after this much battle time offline
    # Test settings only: a Redis key holding milliseconds added to the battles' clock, so that tests
    # can move it forward in the real processes (battles.services.now_ms); empty reads the plain clock.
    "BATTLE_CLOCK_KEY": "",
    "CHAT_SHARD_CAPACITY": env.int("CHAT_SHARD_CAPACITY", default=10),
    "CHAT_MAX_LENGTH": 300,
    "CHAT_RATE": 5,  # messages per CHAT_RATE_WINDOW seconds, then a warning
    "CHAT_RATE_WINDOW": 5,
    "CHAT_HISTORY": 50,
    "HEARTBEAT_SECONDS": 30,  # a live connection refreshes its key this often; 3 missed beats = gone
    # What a player keeps in Redis expires this long after they leave, unless a battle of theirs
    # goes on offline (mudserver.player_keys).
    "PLAYER_IDLE_SECONDS": env.int("PLAYER_IDLE_SECONDS", default=24 * 3600),
}

# --- Handshakes and sockets per client address (mudserver.gate, and nginx in front: mudserver.cluster
# writes these numbers into its nginx configuration; compose/nginx.conf repeats them, which
# tests/unit/test_compose.py checks). Sized for a 50-seat PC방 behind one address: two sockets a seat
# (a reload overlaps the old socket's close) and the whole room reconnecting within two seconds
# after a server restart (clients back off and retry), while one address cannot hold thousands of
# sockets or open them faster than the web processes can greet them.
GATE = {
    "SOCKETS_PER_ADDRESS": 100,
    "HANDSHAKES_PER_SECOND": 20,  # per address, sustained
    "HANDSHAKE_BURST": 40,  # per address, at once
    # Per web process, whatever the address: connections greeting or resuming their player at once
    # (mudserver.consumers.opening_turn); the rest wait their turn.
    "OPENINGS_AT_ONCE": env.int("OPENINGS_AT_ONCE", default=8),
    # A socket counted by a web process that died is forgotten after this long (it renews its
    # count every third of it).
    "SOCKET_COUNT_EXPIRY": 90,
}

# --- Celery (broker on the same Redis)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
# A task a killed worker held (acked late, so still unacknowledged) goes back to the queue after this
# long; Redis's default is an hour, which would stall an arena match's timers that long. Every task
# here finishes within seconds of its countdown (at most 10 s), so a minute never redelivers a live one.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A restarting Redis: workers and beat wait for the broker as long as it takes (the default gives up
# after 100 tries), and a worker finishes the tasks in hand (a flush must not stop half-way; a battle
# cycle run twice changes nothing) instead of cancelling them.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_ROUTES = {"battles.tasks.battles_advance": {"queue": "battles"}}
CELERY_BEAT_SCHEDULE = {
    "battles-dispatch": {
        "task": "battles.tasks.battles_dispatch",
        "schedule": GAME["BATTLE_DISPATCH_SECONDS"],
        "options": {"expires": GAME["BATTLE_DISPATCH_SECONDS"] * 4},
    },
    "chat-log-flush": {"task": "chat.tasks.chat_log_flush_task", "schedule": 2.0, "options": {"expires": 4.0}},
    "presence-sweep": {"task": "chat.tasks.presence_sweep_task", "schedule": 30.0, "options": {"expires": 60.0}},
    "rankings-check": {"task": "accounts.tasks.rankings_check", "schedule": 60.0, "options": {"expires": 60.0}},
    "sessions-clear": {"task": "accounts.tasks.sessions_clear", "schedule": 24 * 3600.0},
    "characters-flush": {
        "task": "accounts.tasks.characters_flush",
        "schedule": GAME["FLUSH_INTERVAL"],
        "options": {"expires": GAME["FLUSH_INTERVAL"] * 2},
    },
}

# --- i18n: Korean and English, both complete catalogues.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Seoul"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders, so the embedded run needs no collectstatic.
WHITENOISE_USE_FINDERS = True

# --- Logs: one JSON object per line (LOG_FORMAT=json) or a readable line (console), for stdlib and
# structlog loggers alike; mudserver.logs renders them and adds the command id (README, "Operating it").
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING_CONFIG = "mudserver.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "mudserver.logs.formatter", "renderer": LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
