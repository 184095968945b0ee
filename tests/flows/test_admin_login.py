"""The admin's login as an attacker meets it (issue 15): failed logins lock an address out (django-axes)
counting the address the game's throttle counts, over a real daphne; the password is checked on the
game's bounded hashing pool; staff passwords pass Django's validators while players' follow the game's
own rule."""

import http.client
import re
import shutil
import subprocess
import urllib.parse

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.test import Client

from accounts.models import User
from mudserver.cluster import Topology
from tests.client import connected, fresh_address, unique
from tests.cluster import free_port, wait_for_port
from tests.conftest import _stop
from tests.flows.test_observability import _sample

pytestmark = pytest.mark.usefixtures("live_db")

STAFF_PASSWORD = "lantern-orbit-57-quay"
LOCKOUT = 5  # settings.AXES_FAILURE_LIMIT, as docs/SECURITY.md states it


class Browser:
    """Plain HTTP to a real server, connecting from `source` (a loopback address)."""

    def __init__(self, base_url: str, source: str = "127.0.0.1"):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.source = parts.hostname, parts.port, source

    def get(self, path: str) -> int:
        return self.request("GET", path)[0]

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=(self.source, 0))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            connection.close()


class AdminLogin(Browser):
    """A browser at /admin/login/: its CSRF cookie and token, then login attempts."""

    def __init__(self, base_url: str, source: str = "127.0.0.1"):
        super().__init__(base_url, source)
        status, headers, body = self.request("GET", "/admin/login/")
        assert status == 200
        self.cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"])[1]
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]

    def attempt(self, username: str, password: str, **headers) -> int:
        fields = {"csrfmiddlewaretoken": self.token, "username": username, "password": password, "next": "/admin/"}
        headers = {
            "Cookie": f"csrftoken={self.cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
            **{name.replace("_", "-"): value for name, value in headers.items()},
        }
        form = urllib.parse.urlencode(fields)
        status, _headers, _body = self.request("POST", "/admin/login/?next=/admin/", form, headers)
        return status


def _staff() -> User:
    return User.objects.create_user(unique("st"), STAFF_PASSWORD, is_staff=True)


def _counted_addresses(username: str) -> set[str]:
    return set(AccessAttempt.objects.filter(username=username).values_list("ip_address", flat=True))


def test_repeated_wrong_admin_logins_lock_out_the_address_nginx_vouched_for(game_server):
    """From the trusted proxy's address (loopback, where nginx connects from), the address counted is
    the one in X-Real-IP; a client's X-Forwarded-For, different every time, changes nothing."""
    staff, browser = _staff(), AdminLogin(game_server)
    locked, other = "198.51.100.23", "198.51.100.24"
    statuses = [
        browser.attempt(staff.username, "wrong-guess", X_Real_IP=locked, X_Forwarded_For=f"203.0.113.{n}")
        for n in range(LOCKOUT)
    ]
    assert statuses == [200] * (LOCKOUT - 1) + [429]  # the form again, then the lockout page
    assert browser.attempt(staff.username, STAFF_PASSWORD, X_Real_IP=locked) == 429  # even the right password
    assert browser.attempt(staff.username, STAFF_PASSWORD, X_Real_IP=other) == 302  # another address signs in
    assert _counted_addresses(staff.username) == {locked}
    axes_reset(ip=locked)


def test_an_untrusted_peers_headers_do_not_choose_the_address_that_is_locked(game_server):
    """A client that reaches daphne itself (not through nginx) is counted by its own address, whatever
    X-Real-IP and X-Forwarded-For it sends."""
    staff, peer = _staff(), fresh_address()
    browser = AdminLogin(game_server, source=peer)
    statuses = [
        browser.attempt(staff.username, "wrong-guess", X_Real_IP=f"198.51.100.{n}", X_Forwarded_For=f"203.0.113.{n}")
        for n in range(LOCKOUT)
    ]
    assert statuses[-1] == 429
    assert _counted_addresses(staff.username) == {peer}
    assert AdminLogin(game_server, source=fresh_address()).attempt(staff.username, STAFF_PASSWORD) == 302
    axes_reset(ip=peer)


async def test_the_games_sign_in_is_not_counted_by_the_admins_lockout(game_server):
    client = await connected(game_server)
    name = await client.sign_up()
    await client.command("out")
    for _ in range(LOCKOUT):
        await client.sign_in(name, "wrong-guess1")
    assert not await AccessAttempt.objects.filter(username=name).aexists()
    await client.close()


def test_the_admin_login_checks_the_password_on_the_hashing_pool(game_server):
    """Each admin login, failed or not, counts one job on daphne's hashing pool (accounts.passwords)."""

    def pool_jobs() -> float:
        status, _headers, body = Browser(game_server).request("GET", "/metrics")
        assert status == 200
        return _sample(body, "mud_password_hashes_total")

    staff, browser = _staff(), AdminLogin(game_server)
    before = pool_jobs()
    assert browser.attempt(staff.username, "wrong-guess", X_Real_IP="198.51.100.77") == 200
    assert pool_jobs() == before + 1
    assert browser.attempt(staff.username, STAFF_PASSWORD, X_Real_IP="198.51.100.77") == 302
    assert pool_jobs() == before + 2


@pytest.mark.parametrize("password", ["qwe123", "qwe123qwe123", "12345678901234", "lantern"])
def test_staff_passwords_pass_the_validators(password):
    superuser = User.objects.create_superuser(unique("su"), STAFF_PASSWORD)
    staff = _staff()
    browser = Client(headers={"accept-language": "en"})
    browser.force_login(superuser)
    url = f"/admin/accounts/user/{staff.pk}/password/"
    refused = browser.post(url, {"password1": password, "password2": password})
    assert refused.status_code == 200 and refused.context["form"].errors
    staff.refresh_from_db()
    assert staff.check_password(STAFF_PASSWORD)
    own_change = {"old_password": STAFF_PASSWORD, "new_password1": password, "new_password2": password}
    own = browser.post("/admin/password_change/", own_change)
    assert own.status_code == 200 and own.context["form"].errors
    accepted = browser.post(url, {"password1": "harbour-violet-88-crane", "password2": "harbour-violet-88-crane"})
    assert accepted.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("harbour-violet-88-crane")


async def test_players_passwords_keep_the_games_own_rule(game_server):
    """GAME.md §2: 6-64 characters with a letter and a digit; the staff validators do not apply."""
    client = await connected(game_server)
    name = await client.sign_up(password="qwe123")
    await client.command("out")
    assert "Welcome back" in (await client.sign_in(name, "qwe123"))["plain"]
    await client.close()


@pytest.fixture
def cluster_nginx(game_server, settings, tmp_path):
    """`manage.py cluster`'s nginx, as it writes its configuration, in front of the test's daphne,
    with ADMIN_NETWORKS set to one loopback address."""
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed")
    settings.ADMIN_NETWORKS = ["127.0.0.1/32"]
    port = free_port()
    web_port = int(game_server.rsplit(":", 1)[1])
    topology = Topology(
        host="127.0.0.1",
        port=port,
        web_ports=[web_port],
        workers=0,
        concurrency=1,
        metrics_port=free_port(),
        run_dir=tmp_path,
    )
    nginx = next(spec for spec in topology.specs() if spec.name == "nginx")
    process = subprocess.Popen(nginx.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}"
    _stop(process)


def test_the_cluster_nginx_keeps_metrics_in_and_the_admin_to_its_networks(cluster_nginx, game_server):
    inside, outside = Browser(cluster_nginx), Browser(cluster_nginx, source=fresh_address())
    assert (inside.get("/admin/login/"), outside.get("/admin/login/")) == (200, 403)
    assert (inside.get("/metrics"), outside.get("/metrics")) == (404, 404)
    assert outside.get("/healthz") == 200  # everything else as before
    assert Browser(game_server).get("/metrics") == 200  # Prometheus scrapes daphne's own port
