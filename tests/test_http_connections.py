"""The http provider's connections to its gateway, over real sockets: kept alive between
SMS, reopened once when the gateway closed one under a request (and only then), TLS checked
against the CA bundle, ``http.timeout`` bounding the whole exchange, and the proxies of
``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` (read at start) — with errors mapped as the
provider names them (``smsreply/providers/http_connections.py``).

Each test runs over both paths ``server.fast_paths`` chooses between (``fast``): our
``http.client`` pool and urllib3's, the plain library path — with the same assertions. One
guarantee is the fast path's alone: a request whose kept-alive connection the gateway closed
under it is sent again once (urllib3, told not to retry, reports it unreachable: the work
engine's retry sends it later).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from smsreply.providers.base import OutgoingSms, ProviderError
from smsreply.providers.http import HttpProvider
from smsreply.providers.http_connections import DirectConnections, PlainConnections
from tests.support.fakes.forward_proxy import ForwardProxy
from tests.support.fakes.kept_alive_gateway import KeptAliveGateway
from tests.support.trickle import TrickleServer


def sms(text: str) -> OutgoingSms:
    return OutgoingSms(id=7, to="+33612345678", message=text, shortcode="38123", tag="sr3")


def provider(url: str, fast: bool, timeout: float = 5.0, **options: object) -> HttpProvider:
    return HttpProvider({"send_url": url, "timeout": timeout} | options, fast=fast)


def unreachable(gateway_url: str) -> str:
    return f"gateway {gateway_url.split('/')[2]} unreachable (ConnectionError)"


def contents(gateway: KeptAliveGateway) -> list[str]:
    return [fields["content"] for fields in gateway.accepted]


@pytest.fixture(params=["http.client", "urllib3"])
def fast(request) -> bool:
    """The ``fast`` argument for each path: our pool, then urllib3's."""
    return request.param == "http.client"


@pytest.fixture(autouse=True)
def no_proxy_from_outside(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_answers_share_one_kept_alive_connection(fast):
    with KeptAliveGateway() as gateway:
        http = provider(gateway.url, fast)
        ids = [http.send(sms(text)).provider_id for text in ("un", "deux", "trois")]
    assert ids == ["gw-1", "gw-2", "gw-3"] and contents(gateway) == ["un", "deux", "trois"]
    assert gateway.connections == 1


def test_an_answer_gzipped_on_request_is_read_unzipped(fast):
    with KeptAliveGateway() as gateway:
        gzipping = provider(gateway.url, fast, send_headers='{"Accept-Encoding": "gzip"}')
        assert gzipping.send(sms("un")).provider_id == "gw-1"


def test_a_connection_closed_under_a_request_is_reopened_once():
    with KeptAliveGateway() as gateway:
        http = provider(gateway.url, fast=True)
        http.send(sms("un"))
        gateway.drop_next()  # as a gateway closing an idle connection just as we use it
        assert http.send(sms("deux")).provider_id == "gw-2"
        assert gateway.requests == 3 and gateway.connections == 2
        gateway.drop_next(2)  # the new connection is closed too: not tried a third time
        with pytest.raises(ProviderError) as failure:
            http.send(sms("trois"))
        assert gateway.requests == 5 and contents(gateway) == ["un", "deux"]
    assert failure.value.retryable is True
    assert failure.value.message == unreachable(gateway.url)


def test_a_new_connection_closed_under_its_request_is_not_tried_again(fast):
    with KeptAliveGateway() as gateway:
        gateway.drop_next()
        with pytest.raises(ProviderError) as failure:
            provider(gateway.url, fast).send(sms("un"))
        assert gateway.requests == 1 and gateway.accepted == []
    assert failure.value.retryable is True
    assert failure.value.message == unreachable(gateway.url)


def test_a_connection_the_gateway_closed_while_idle_is_replaced(fast):
    with KeptAliveGateway() as gateway:
        http = provider(gateway.url, fast)
        http.send(sms("un"))
        gateway.close_idle(wait_for=1)
        time.sleep(0.2)  # its end has reached us: seen before the request is written
        assert http.send(sms("deux")).provider_id == "gw-2"
        assert gateway.requests == 2 and gateway.connections == 2


def test_the_timeout_bounds_the_whole_exchange_not_each_read(fast):
    # Each byte comes well within the timeout; the whole answer takes three times it.
    with TrickleServer(b'Success "slow-1"', interval=0.1) as slow:
        with pytest.raises(ProviderError) as failure:
            provider(slow.url, fast, timeout=0.5).send(sms("un"))
        assert slow.hits == 1 and slow.finished == 0  # cut before its last byte
    assert failure.value.retryable is True
    assert failure.value.message == f"gateway {slow.url.split('/')[2]}: no answer in 0.5 s"


@pytest.mark.parametrize("fast_paths", [True, False])
def test_server_fast_paths_chooses_the_connections(settings, fast_paths):
    with KeptAliveGateway() as gateway:
        settings |= {"provider.name": "http", "http.send_url": gateway.url}
        settings["server.fast_paths"] = fast_paths
        http = HttpProvider.from_settings(settings)
        assert http.send(sms("un")).provider_id == "gw-1"
    expected = DirectConnections if fast_paths else PlainConnections
    assert type(http.connections) is expected


# -- TLS ----------------------------------------------------------------------------------


def certificate(folder: Path, names: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``names`` (subjectAltName), and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (tests/system-deps.sh installs it)")
    cert, key = folder / f"{names.replace(':', '-')}.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=gateway",
            "-addext", f"subjectAltName={names}", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def tls_gateway(folder: Path, names: str) -> tuple[KeptAliveGateway, Path]:
    cert, key = certificate(folder, names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return KeptAliveGateway(tls=context), cert


def test_https_checked_against_the_ca_bundle_and_kept_alive(tmp_path, monkeypatch, fast):
    gateway, cert = tls_gateway(tmp_path, "IP:127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with gateway:
        http = provider(gateway.url, fast)
        assert [http.send(sms(text)).provider_id for text in ("un", "deux")] == ["gw-1", "gw-2"]
        assert gateway.connections == 1


@pytest.mark.parametrize("names", ["IP:127.0.0.1", "DNS:gateway.example"])
def test_https_refuses_an_unknown_certificate_or_one_for_another_host(
    tmp_path, monkeypatch, names, fast
):
    gateway, cert = tls_gateway(tmp_path, names)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    if names.startswith("IP"):  # trusted name, unknown issuer: certifi's bundle
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    else:  # trusted issuer, another name
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with gateway:
        with pytest.raises(ProviderError) as failure:
            provider(gateway.url, fast).send(sms("un"))
        assert gateway.requests == 0
    assert failure.value.retryable is True
    assert failure.value.message == unreachable(gateway.url)


# -- proxies ------------------------------------------------------------------------------


def test_through_the_http_proxy_and_not_for_no_proxy_hosts(monkeypatch, fast):
    with KeptAliveGateway() as gateway, ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        assert provider(gateway.url, fast).send(sms("un")).provider_id == "gw-1"
        assert proxy.seen == [f"POST {gateway.url}"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert provider(gateway.url, fast).send(sms("deux")).provider_id == "gw-2"
        assert len(proxy.seen) == 1 and contents(gateway) == ["un", "deux"]


def test_https_through_the_proxy_tunnel(tmp_path, monkeypatch, fast):
    gateway, cert = tls_gateway(tmp_path, "IP:127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with gateway, ForwardProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        http = provider(gateway.url, fast)
        assert [http.send(sms(text)).provider_id for text in ("un", "deux")] == ["gw-1", "gw-2"]
        assert proxy.seen == [f"CONNECT {gateway.url.split('/')[2]}"]  # one tunnel, kept


def test_the_proxy_is_read_at_start_and_its_failures_named_like_the_gateways(monkeypatch, fast):
    with KeptAliveGateway() as gateway:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        http = provider(gateway.url, fast)
        monkeypatch.delenv("HTTP_PROXY")
        with pytest.raises(ProviderError) as failure:
            http.send(sms("un"))
        assert gateway.requests == 0
    assert failure.value.retryable is True
    assert failure.value.message == unreachable(gateway.url)
