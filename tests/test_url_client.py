"""The ``url`` action on the provider's pooled client (issue 23): one kept-alive connection
per customer host shared by the replies, TLS checked against the CA bundle, the proxies of
the environment, the whole exchange bounded even across redirects, and a password sent only
to its own host — against real local servers (``smsreply/actions/url_client.py``).

Each test runs over both paths ``server.fast_paths`` chooses between (``fast``): our
``http.client`` pool and urllib3's, the plain library path — with the same assertions.
"""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Request, Response

from smsreply.actions.url_client import UrlClient
from smsreply.providers.http_connections import DirectConnections, PlainConnections
from tests.support.actions import Phone
from tests.support.fakes.forward_proxy import ForwardProxy
from tests.support.fakes.kept_alive_gateway import KeptAliveGateway
from tests.support.httpapp import LocalServer
from tests.support.trickle import TrickleServer
from tests.test_http_connections import tls_gateway


@pytest.fixture(params=["http.client", "urllib3"], autouse=True)
def fast(request, settings) -> bool:
    """Every test over our pool, then urllib3's (the service reads the setting on first use)."""
    settings["server.fast_paths"] = request.param == "http.client"
    return settings["server.fast_paths"]


@pytest.fixture(autouse=True)
def no_proxy_from_outside(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def reply_through(app, service, url: str, **options) -> list[dict]:
    service.set_reply_options({"action": "url", "url": url, "use_response": True, **options})
    phone = Phone(app, service)
    return [phone.reply(text) for text in ("un", "deux", "trois")]


def test_replies_share_the_providers_kept_alive_connections(app, service, fast):
    with KeptAliveGateway() as site:
        results = reply_through(app, service, site.url)
        assert [result["answer"] for result in results] == [f'Success "gw-{n}"' for n in (1, 2, 3)]
        assert [fields["message"] for fields in site.accepted] == ["un", "deux", "trois"]
        assert site.connections == 1
    pools = list(service.resources.url_client._hosts.values())
    assert len(pools) == 1 and type(pools[0]) is (DirectConnections if fast else PlainConnections)


def test_https_checked_against_the_ca_bundle(app, service, tmp_path, monkeypatch):
    site, cert = tls_gateway(tmp_path, "IP:127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with site:
        results = reply_through(app, service, site.url)
        assert results[2]["answer"] == 'Success "gw-3"' and site.connections == 1


def test_https_refuses_a_certificate_for_another_host(app, service, tmp_path, monkeypatch):
    site, cert = tls_gateway(tmp_path, "DNS:elsewhere.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with site:
        service.set_reply_options({"action": "url", "url": site.url, "use_response": True})
        result = Phone(app, service).reply("un")
        assert site.requests == 0
    assert result["answer"] is None and result["outcome"]["error"] == "unreachable"


def test_through_the_proxy_of_the_environment(app, service, monkeypatch):
    with KeptAliveGateway() as site, ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        results = reply_through(app, service, site.url)
        assert results[0]["answer"] == 'Success "gw-1"'
        assert proxy.seen == [f"POST {site.url}"] * 3


class Recorder:
    """Records method, Authorization and form; redirects with ``status`` when told where."""

    def __init__(self, status: int = 0, to: str = "") -> None:
        self.status, self.to, self.calls = status, to, []

    def __call__(self, environ, start_response):
        request = Request(environ)
        seen = (request.method, request.headers.get("Authorization"), dict(request.form))
        self.calls.append(seen)
        if self.to:
            moved = Response("", status=self.status, headers={"Location": self.to})
            return moved(environ, start_response)
        return Response(f"{request.method} ok", content_type="text/plain")(environ, start_response)


@pytest.mark.parametrize(("status", "method"), [(303, "GET"), (307, "POST"), (302, "GET")])
def test_a_followed_redirect_keeps_the_password_at_home(app, service, status, method):
    target = Recorder()
    with LocalServer(target) as other:
        first = Recorder(status, other.url + "/next")
        with LocalServer(first) as home:
            url = home.url.replace("http://", "http://cabinet:s3cret@") + "/sms"
            result = reply_through(app, service, url, follow_redirects=True)[0]
    assert result["answer"] == f"{method} ok"
    assert first.calls[0][1] == "Basic Y2FiaW5ldDpzM2NyZXQ="  # cabinet:s3cret
    assert target.calls[0][:2] == (method, None)  # another port: another host
    assert target.calls[0][2].get("message") == ("un" if method == "POST" else None)


def test_redirects_followed_share_the_one_deadline(app, service, settings):
    settings["url.timeout"], settings["url.attempts"] = 1.0, 1
    with TrickleServer(b"x" * 30, interval=0.1) as slow:  # 3 s of answer
        first = Recorder(307, slow.url)
        with LocalServer(first) as home:
            service.set_reply_options(
                {"action": "url", "url": home.url, "use_response": True, "follow_redirects": True}
            )
            result = Phone(app, service).reply("un")
    assert result["outcome"]["error"] == "timeout" and slow.hits == 1


def big(environ, start_response):
    size = int(Request(environ).form["size"])
    return Response(b"x" * size, content_type="application/octet-stream")(environ, start_response)


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3_000_000])
def test_answers_of_any_size_come_whole(fast, size):
    client = UrlClient(fast=fast)
    with LocalServer(big) as site:
        answers = [client.post(site.url, {"size": str(size)}, timeout=10.0) for _ in range(2)]
    client.close()
    assert [(answer.status, answer.body) for answer in answers] == [(200, b"x" * size)] * 2
