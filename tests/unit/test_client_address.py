"""Whose word daphne takes for a client's address (mudserver.client_address), and the cluster's
nginx behind a TLS balancer (mudserver.cluster.real_ip_conf)."""

import shutil

import pytest

from mudserver.client_address import TrustedProxies, client_address
from mudserver.cluster import Topology


async def _seen(peer: str, headers: dict[str, str], settings) -> tuple[str, str]:
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.1.0.0/16"]
    seen = {}

    async def app(scope, receive, send):
        seen.update(address=client_address(scope), scheme=scope["scheme"])

    scope = {
        "type": "websocket",
        "client": [peer, 40000],
        "scheme": "ws",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    await TrustedProxies(app)(scope, None, None)
    return seen["address"], seen["scheme"]


@pytest.mark.parametrize(
    ("peer", "headers", "address", "scheme"),
    [
        ("127.0.0.1", {"X-Real-IP": "203.0.113.9", "X-Forwarded-Proto": "https"}, "203.0.113.9", "https"),
        ("10.1.2.3", {"X-Real-IP": "2001:db8::1"}, "2001:db8::1", "ws"),  # a trusted network
        ("127.0.0.1", {}, "127.0.0.1", "ws"),  # nothing vouched for: the peer itself
        ("127.0.0.1", {"X-Real-IP": "not an address"}, "127.0.0.1", "ws"),
        # Anyone else's headers are ignored, X-Forwarded-For included (nginx sets X-Real-IP).
        ("127.0.0.2", {"X-Real-IP": "203.0.113.9", "X-Forwarded-Proto": "https"}, "127.0.0.2", "ws"),
        ("10.2.0.1", {"X-Real-IP": "203.0.113.9"}, "10.2.0.1", "ws"),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, "127.0.0.1", "ws"),
    ],
)
async def test_only_a_trusted_proxy_names_the_client(peer, headers, address, scheme, settings):
    assert await _seen(peer, headers, settings) == (address, scheme)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
@pytest.mark.parametrize("balancers", [[], ["10.0.0.0/8", "192.0.2.0/24"]])
def test_the_cluster_nginx_takes_a_balancers_address_only_when_told(balancers, settings, tmp_path):
    settings.BALANCER_NETWORKS = balancers
    topology = Topology(
        host="127.0.0.1", port=8000, web_ports=[8001], workers=1, concurrency=1, metrics_port=9100, run_dir=tmp_path
    )
    conf = topology.nginx_conf().read_text()  # written only once `nginx -t` accepts it
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf and "$proxy_add_x_forwarded_for" not in conf
    assert [f"set_real_ip_from {network};" for network in balancers] == [
        line.strip() for line in conf.splitlines() if line.strip().startswith("set_real_ip_from")
    ]
    assert ("real_ip_header X-Forwarded-For;" in conf) == bool(balancers)
