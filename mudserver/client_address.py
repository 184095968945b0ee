"""The client's address, which the limits count (sign-in, sockets, handshakes per address).

nginx sets X-Real-IP to the address of the connection it accepted (or, behind a TLS balancer it is
told to trust, the address that balancer saw), replacing whatever the client sent. daphne believes
that header only from TRUSTED_PROXIES: a client that reaches daphne directly, or through anything
else, is counted by its own address whatever headers it sends. daphne's --proxy-headers believes
any peer, so it is not used; this middleware rewrites scope["client"] (and the scheme, from
X-Forwarded-Proto, as --proxy-headers did) once per connection, and the rest of the code reads the
address with client_address()."""

from ipaddress import ip_address, ip_network

from django.conf import settings


def _trusted_networks() -> tuple:
    return tuple(ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _parsed(address: str | None):
    try:
        return ip_address(address or "")
    except ValueError:
        return None


class TrustedProxies:
    def __init__(self, application):
        self.application = application
        self.networks = _trusted_networks()

    async def __call__(self, scope, receive, send):
        peer = _parsed(client_address(scope)) if scope["type"] in ("http", "websocket") else None
        if peer is not None and any(peer in network for network in self.networks):
            scope = dict(scope)
            forwarded = _parsed(_header(scope, b"x-real-ip"))
            if forwarded is not None:
                scope["client"] = (str(forwarded), 0)
            scheme = _header(scope, b"x-forwarded-proto")
            if scheme:
                scope["scheme"] = scheme
        return await self.application(scope, receive, send)


def client_address(scope) -> str:
    """The address the limits count: the peer's, or the one its trusted proxy vouched for."""
    client = scope.get("client")
    return client[0] if client else ""


def request_client_address(request) -> str:
    """The same address for a Django request (the admin's login throttle, django-axes): under ASGI
    Django's REMOTE_ADDR is scope["client"], which TrustedProxies has already settled."""
    return request.META.get("REMOTE_ADDR", "")
