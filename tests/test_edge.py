"""The production edge: real nginx from ``deploy/nginx.conf`` in front of a real gunicorn.

Issue 10, items 1 and 2. Gunicorn alone gave each of its 16 threads to a client sending
one byte a second, and every callback timed out (``bench/slow_clients.py`` against bare
gunicorn: 0 of 200 answered). Behind nginx, 300 such clients (half dripping headers,
half bodies) wait in nginx while 200 ordinary callbacks, over TLS, are all answered.
With ``server.proxy_hops = 1`` smsreply records the client's address, not nginx's (what
CGI scripts get as REMOTE_ADDR), the login throttle counts each client apart, and a
client cannot choose its address by sending its own X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest

from bench.slow_clients import slow_clients_and_callbacks
from smsreply.store import Store
from tests.nginx import Nginx, nginx_binary
from tests.servers import ROOT, GunicornServer

pytestmark = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx not installed (tests/system-deps.sh installs it)"
)


@pytest.fixture(scope="module")
def edge(tmp_path_factory, module_database_url):
    tmp_path = tmp_path_factory.mktemp("edge")
    server = GunicornServer(tmp_path, module_database_url, server_proxy_hops=1).init()
    server.database = module_database_url or tmp_path / "smsreply.db"
    server.admin_password = "correct horse battery"
    subprocess.run(
        [sys.executable, "-m", "smsreply.cli", "user", "passwd", "admin", "--password-stdin"],
        cwd=ROOT,
        env=server.env,
        input=server.admin_password + "\n",
        text=True,
        capture_output=True,
        check=True,
    )
    with server, Nginx(tmp_path, server.port) as proxy:
        yield server, proxy


def test_slow_clients_do_not_starve_the_callbacks(edge):
    server, proxy = edge
    result = asyncio.run(
        slow_clients_and_callbacks(
            "127.0.0.1",
            proxy.https_port,
            server.callback_path,
            proxy.client_context(),
            slow=300,
            normal=200,
            bound=30.0,
        )
    )
    assert result["slow"]["connected"] == 300, result
    # They were all still holding their connection while the callbacks went through.
    assert result["slow"]["open_at_end"] == 300, result
    assert result["statuses"] == {200: 200}, result
    assert result["p99"] < 1.0, result


def post_from(proxy, source: str, path: str, reply_id: str, headers: dict) -> int:
    """One callback over TLS from the loopback address ``source`` (127.0.0.0/8 is ours)."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1",
        proxy.https_port,
        timeout=10,
        context=proxy.client_context(),
        source_address=(source, 0),
    )
    body = urlencode(
        {"id": reply_id, "senderid": "+33612345678", "shortcode": "38127", "message": "OUI"}
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    connection.request("POST", path, body, headers)
    status = connection.getresponse().status
    connection.close()
    return status


def test_smsreply_sees_the_client_not_the_proxy(edge):
    server, proxy = edge
    path = server.callback_path
    assert post_from(proxy, "127.0.0.2", path, "addr-1", {}) == 200
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    assert post_from(proxy, "127.0.0.3", path, "addr-2", spoofed) == 200
    store = Store.at(server.database)
    replies = store.latest_replies(1000)
    store.close()
    rows = {r["provider_id"]: r["remote_addr"] for r in replies if r["provider_id"][:5] == "addr-"}
    assert rows == {"addr-1": "127.0.0.2", "addr-2": "127.0.0.3"}


def test_nginx_logs_callbacks_without_their_token(edge):
    server, proxy = edge
    assert post_from(proxy, "127.0.0.4", server.callback_path + "?x=1", "log-1", {}) == 200
    token = server.callback_path.rsplit("/", 1)[1]
    # nginx writes the line once the request is finalised, which may be just after the
    # client has read the response: wait for it.
    deadline = time.monotonic() + 10
    while "127.0.0.4 [" not in proxy.access_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = proxy.access_log.read_text()
    assert "127.0.0.4 [" in log and '"POST /callbacks/ovh/<token>?x=1" 200' in log
    assert token not in log


class Browser:
    """A manager user over TLS through nginx from one loopback address, with its cookies."""

    def __init__(self, proxy, source: str) -> None:
        self.proxy, self.source, self.cookies = proxy, source, {}

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.proxy.https_port,
            timeout=10,
            context=self.proxy.client_context(),
            source_address=(self.source, 0),
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        text = response.read().decode()
        connection.close()
        return response.status, text

    def login(self, password: str) -> int:
        _, page = self.request("GET", "/manager/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urlencode({"username": "admin", "password": password, "csrf_token": token})
        return self.request("POST", "/manager/login", form)[0]


def test_the_login_throttle_sees_each_client_through_nginx(edge):
    server, proxy = edge
    guesser, owner = Browser(proxy, "127.0.0.5"), Browser(proxy, "127.0.0.6")
    statuses = [guesser.login(f"guess number {n}") for n in range(6)]
    assert statuses == [403] * 5 + [429]  # the guessing address is slowed...
    assert owner.login(server.admin_password) == 302  # ...not the user elsewhere


def test_plain_http_is_redirected_keeping_the_method(edge):
    _, proxy = edge
    with socket.create_connection(("127.0.0.1", proxy.http_port), timeout=5) as connection:
        connection.sendall(b"POST /callbacks/ovh/x HTTP/1.1\r\nHost: sms.example.org\r\n\r\n")
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 308")
    assert b"Location: https://sms.example.org/callbacks/ovh/x" in answer


def test_a_body_over_the_limit_is_refused_by_nginx(edge):
    server, proxy = edge
    connection = http.client.HTTPSConnection(
        "127.0.0.1", proxy.https_port, timeout=10, context=proxy.client_context()
    )
    connection.request("POST", server.callback_path, b"message=" + b"x" * 70000)
    assert connection.getresponse().status == 413
    connection.close()


def get_from(proxy, source: str, path: str) -> int:
    connection = http.client.HTTPSConnection(
        "127.0.0.1",
        proxy.https_port,
        timeout=10,
        context=proxy.client_context(),
        source_address=(source, 0),
    )
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


def test_readiness_is_probed_through_nginx_unlogged_and_metrics_stay_inside(edge):
    _server, proxy = edge
    assert get_from(proxy, "127.0.0.7", "/api/ready") == 200
    assert get_from(proxy, "127.0.0.7", "/metrics") == 403  # not the monitoring network
    assert get_from(proxy, "127.0.0.1", "/metrics") == 404  # smsreply's: metrics.token unset
    assert get_from(proxy, "127.0.0.7", "/api/health") == 200  # logged: a line to wait for
    deadline = time.monotonic() + 10
    while "/api/health" not in proxy.access_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = proxy.access_log.read_text()
    assert "/api/health" in log and "/api/ready" not in log and "/metrics" not in log
