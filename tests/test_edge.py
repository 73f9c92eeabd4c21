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
import json
import re
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest

from bench.slow_clients import slow_clients_and_callbacks
from smsreply.settings import SETTINGS
from smsreply.store import Store
from tests.support.nginx import Nginx, nginx_binary
from tests.support.servers import ROOT, GunicornServer

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

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes = "",
        content_type: str = "application/x-www-form-urlencoded",
    ) -> tuple[int, str]:
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.proxy.https_port,
            timeout=10,
            context=self.proxy.client_context(),
            source_address=(self.source, 0),
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body:
            headers["Content-Type"] = content_type
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
    response = connection.getresponse()
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"  # not nginx's HTML page
    assert json.loads(response.read()) == {
        "error": {"code": "too_large", "message": "the request body is larger than 65536 bytes"}
    }
    connection.close()


# -- uploads (issue 19, item 5): campaign uploads up to campaign.max_upload_bytes ----------


def https(proxy, path: str, body: bytes, content_type: str, length: int | None = None):
    """POST over TLS through nginx; (status, Content-Type, body). ``length``: announce it
    and send no body (nginx refuses an announced size at once)."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", proxy.https_port, timeout=30, context=proxy.client_context()
    )
    headers = {"Content-Type": content_type}
    if length is not None:
        connection.putrequest("POST", path)
        for name, value in {**headers, "Content-Length": str(length)}.items():
            connection.putheader(name, value)
        connection.endheaders()
    else:
        connection.request("POST", path, body, headers)
    response = connection.getresponse()
    answer = (response.status, response.getheader("Content-Type"), response.read())
    connection.close()
    return answer


def campaign_csv(lines: int) -> bytes:
    return ("prenom;numero\n" + "".join(f"P{n};06{50000000 + n}\n" for n in range(lines))).encode()


def test_a_100_kb_campaign_csv_goes_through_nginx(edge):
    server, proxy = edge
    body = campaign_csv(6000)
    assert len(body) > 100_000
    query = urlencode({"name": "Gros fichier", "message": "Bonjour {prenom}", "dry_run": "1"})
    path = f"/api/campaigns?{query}"
    status, kind, answer = https(proxy, path, body, "text/csv")
    assert status == 401 and kind == "application/json", answer[:300]  # smsreply's answer
    connection = http.client.HTTPSConnection(
        "127.0.0.1", proxy.https_port, timeout=30, context=proxy.client_context()
    )
    headers = {"Content-Type": "text/csv", "Authorization": f"Bearer {server.api_key}"}
    connection.request("POST", path, body, headers)
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["recipients"] == 6000
    connection.close()


def test_the_manager_takes_a_100_kb_upload_through_nginx(edge):
    server, proxy = edge
    browser = Browser(proxy, "127.0.0.7")
    assert browser.login(server.admin_password) == 302
    _, page = browser.request("GET", "/manager/campaigns")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    boundary = "----smsreply-edge"
    fields = {"csrf_token": token, "name": "Gros", "message": "Bonjour {prenom}"}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="recipients"; '
        'filename="gros.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + campaign_csv(6000)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    body = b"".join(parts)
    status, page = browser.request(
        "POST", "/manager/campaigns", body, f"multipart/form-data; boundary={boundary}"
    )
    assert status == 200, page[:300]
    assert re.search(r"6[\s\u202f\xa0,.]?000 destinataire", page), page[:2000]


def test_limits_per_location_answer_in_json(edge):
    """The shipped limits are smsreply's defaults, and nginx answers them in JSON."""
    defaults = {setting.name: setting.default for setting in SETTINGS}
    assert defaults["campaign.max_upload_bytes"] == 20_000_000
    assert defaults["server.max_body_bytes"] == 65536
    server, proxy = edge
    over_campaign = https(proxy, "/api/campaigns", b"", "text/csv", length=20_000_001)
    over_manager = https(proxy, "/manager/campaigns", b"", "multipart/form-data", length=20_000_001)
    over_api = https(proxy, "/api/messages", b"", "application/json", length=70_000)
    over_dlr = https(proxy, server.callback_path + "/dlr", b"", "text/plain", length=70_000)
    for status, kind, answer in (over_campaign, over_manager):
        assert (status, kind) == (413, "application/json"), answer[:300]
        assert b"larger than 20000000 bytes" in answer
    for status, kind, answer in (over_api, over_dlr):
        assert (status, kind) == (413, "application/json"), answer[:300]
        assert b"larger than 65536 bytes" in answer


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
