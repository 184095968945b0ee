import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mudserver.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.sessions import CookieMiddleware
from django.conf import settings
from django.urls import path

from mudserver.client_address import TrustedProxies
from mudserver.consumers import GameConsumer, items_to_connection, live_consumers
from mudserver.drain import drain_on_sigterm
from mudserver.gate import AddressGate
from mudserver.http_threads import HttpThreads
from mudserver.mailbox import mailbox_serve_when_running
from mudserver.origin import BrowserOriginValidator

# Every connection's address is settled first: the limits count it (mudserver.client_address).
application = TrustedProxies(
    ProtocolTypeRouter(
        {
            "http": HttpThreads(django_asgi_app, settings.WEB_HTTP_THREADS),
            # Sockets and handshakes per address first. The cookies only: the consumer finds its session
            # by the page's signed cookie (mudserver.sessions) and looks the user up itself (see
            # GameConsumer._resume).
            "websocket": AddressGate(
                BrowserOriginValidator(CookieMiddleware(URLRouter([path("ws/game/", GameConsumer.as_asgi())])))
            ),
        }
    )
)

drain_on_sigterm(live_consumers)
mailbox_serve_when_running(items_to_connection)

# Full collections over a heap that grows with the sockets froze daphne for 0.3-0.6 s near 2,500
# connections (shared/reference/env-probe.md): keep start-up objects out of the collector and
# collect the young generation less often.
gc.freeze()
gc.set_threshold(50_000, 50, 100)
