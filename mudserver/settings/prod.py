"""Production: MySQL, a Redis server, several daphne behind nginx (compose/)."""

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # Browsers accept a __Host- cookie only over HTTPS and only from this host itself (no Domain), so
    # a neighbouring subdomain or a plain-HTTP answer cannot plant a session key of its choosing.
    GAME_SESSION_COOKIE_NAME = "__Host-mud_session"
WHITENOISE_USE_FINDERS = False
