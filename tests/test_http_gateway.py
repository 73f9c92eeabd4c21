"""The generic HTTP provider over real HTTP: sending to a fake gateway that checks the
``Authorization`` header and the fields (``tests/support/fakes/http_gateway.py``), errors mapped
to retry or not with secrets kept out, and Jasmin form and Vonage JSON replies and
delivery reports through the real callback routes (conftest's ``app`` on this provider).
"""

from __future__ import annotations

import json

import pytest

from smsreply.providers.base import InvalidCallback, OutgoingSms, ProviderError
from smsreply.providers.http import HttpProvider
from smsreply.settings import load_settings
from tests.support.fakes.http_gateway import JASMIN_RESPONSE_ID, VONAGE_SETTINGS, FakeGateway


def sms(message="Répondez OUI ou NON", shortcode="38123", sms_id=7) -> OutgoingSms:
    return OutgoingSms(
        id=sms_id, to="+33612345678", message=message, shortcode=shortcode, tag="sr3"
    )


@pytest.fixture
def gateway():
    with FakeGateway(headers={"Authorization": "Bearer t0k3n-abc"}, required=("to",)) as fake:
        yield fake


def gateway_provider(gateway, **options) -> HttpProvider:
    headers = json.dumps({"Authorization": "Bearer t0k3n-abc"})
    return HttpProvider(
        {
            "send_url": gateway.url,
            "send_headers": headers,
            "response_id": JASMIN_RESPONSE_ID,
            "timeout": 0.5,
        }
        | options
    )


def test_sending_to_the_fake_gateway(gateway):
    sent = gateway_provider(gateway).send(sms("À demain ✓"))
    assert sent.shortcode == "38123" and len(sent.provider_id) == 36
    (request,) = gateway.received
    assert request["headers"]["Authorization"] == "Bearer t0k3n-abc"
    assert request["mimetype"] == "application/x-www-form-urlencoded"
    assert request["fields"]["hex-content"] == "À demain ✓".encode("utf-16-be").hex().upper()
    assert request["fields"]["coding"] == "8" and "content" not in request["fields"]


def test_a_fixed_sender_replaces_the_short_code(gateway):
    fixed = gateway_provider(gateway, sender="+33644630000")
    assert fixed.allocates_shortcode is False
    assert fixed.send(sms(shortcode=None)).shortcode == "33644630000"
    assert gateway.received[0]["fields"]["from"] == "33644630000"


def test_wrong_credentials_are_final_and_secrets_stay_out_of_errors(gateway):
    wrong = HttpProvider({"send_url": gateway.url, "send_headers": '{"Authorization": "Bearer x"}'})
    with pytest.raises(ProviderError) as failure:
        wrong.send(sms())
    assert failure.value.retryable is False and "401" in failure.value.message
    fields = json.dumps({"to": "{to}", "content": "{message}", "password": "hunter2-pw"})
    echoing = gateway_provider(gateway, send_fields=fields)
    gateway.fail_next(400, 'Error "bad password hunter2-pw, token Bearer t0k3n-abc"')
    with pytest.raises(ProviderError) as failure:
        echoing.send(sms())
    assert "hunter2-pw" not in failure.value.message and "t0k3n-abc" not in failure.value.message
    assert "bad password ***" in failure.value.message


def test_server_errors_timeouts_and_refused_connections_are_retryable(gateway):
    http = gateway_provider(gateway)
    gateway.fail_next(502, "Bad gateway")
    with pytest.raises(ProviderError) as failure:
        http.send(sms())
    assert failure.value.retryable is True and "502" in failure.value.message
    gateway.hang_next(1.5)
    with pytest.raises(ProviderError) as failure:
        http.send(sms())
    assert failure.value.retryable is True and "no answer in 0.5 s" in failure.value.message
    closed = HttpProvider(
        {"send_url": "http://127.0.0.1:9/send?api_key=s3cret-in-url", "send_method": "GET"}
    )
    with pytest.raises(ProviderError) as failure:
        closed.send(sms())
    assert failure.value.retryable is True and "s3cret" not in failure.value.message
    assert failure.value.message == "gateway 127.0.0.1:9 unreachable (ConnectionError)"


# -- replies and delivery reports through the callback routes -------------------------------


@pytest.fixture
def gateway_settings(tmp_path, gateway, database_url):
    return {
        "database.path": str(tmp_path / "smsreply.db"),
        "database.url": database_url,
        "worker.retry_base_seconds": 0.0,
        "provider.name": "http",
        "http.send_url": gateway.url,
        "http.send_headers": json.dumps({"Authorization": "Bearer t0k3n-abc"}),
    }


@pytest.fixture
def settings(gateway_settings, request):
    """conftest's ``app`` on the http provider: Jasmin-shaped, or Vonage-shaped if asked."""
    overrides = dict(gateway_settings)
    if getattr(request, "param", "jasmin") == "vonage":
        overrides |= {f"http.{key}": value for key, value in VONAGE_SETTINGS.items()}
    if getattr(request, "param", "jasmin") == "jasmin-ack":
        overrides["http.reply_ack"] = "ACK/Jasmin"
    return load_settings(None, env={}, overrides=overrides)


def sent_message(service) -> tuple[dict, dict]:
    conversation = service.send_message("0612345678", "Venez-vous mardi ?")
    service.drain()
    return conversation, service.store.get("outgoing", conversation["outgoing_id"])


def test_jasmin_form_reply_and_dlr(app, client, service):
    conversation, outgoing = sent_message(service)
    assert outgoing["status"] == "sent" and len(outgoing["provider_id"]) == 36
    base = f"/callbacks/http/{app.config['callback_token']}"
    form = {"id": "mo-1", "from": "+33612345678", "to": conversation["shortcode"]}
    reply = client.post(base, data=form | {"content": "Oui, à mardi", "origin-connector": "smpp"})
    assert reply.status_code == 200 and reply.get_json()["status"] == "pending"
    assert service.store.get("replies", reply.get_json()["reply_id"])["message"] == "Oui, à mardi"
    again = client.post(base, data=form | {"content": "Oui, à mardi"})
    assert again.get_json()["duplicate"] is True
    assert client.post(base, data={"id": "mo-2", "from": "+33612345678"}).status_code == 400
    query = f"id={outgoing['provider_id']}&message_status=DELIVRD&level=3&connector=smpp"
    dlr = client.get(f"{base}/dlr?{query}")
    assert dlr.get_json() == {"ok": True, "matched": True, "status": "delivered"}
    failed = client.get(f"{base}/dlr?id={outgoing['provider_id']}&message_status=UNDELIV")
    assert failed.get_json()["status"] == "failed"


@pytest.mark.parametrize("settings", ["vonage"], indirect=True)
def test_vonage_json_reply_to_the_fixed_number_and_dlr(app, client, service, gateway):
    gateway.answer = "vonage"
    gateway.headers = {}
    conversation, outgoing = sent_message(service)
    assert conversation["shortcode"] is None and outgoing["shortcode"] == "33644630000"
    base = f"/callbacks/http/{app.config['callback_token']}"
    inbound = {
        "msisdn": "33612345678",
        "to": "33644630000",
        "messageId": "0A0000001234",
        "text": "Non 👎",
        "type": "unicode",
        "keyword": "NON",
        "message-timestamp": "2026-11-25 09:01:00",
    }
    reply = client.post(base, json=inbound)
    assert reply.status_code == 200 and reply.get_json()["status"] == "pending"
    row = service.store.get("replies", reply.get_json()["reply_id"])
    assert (row["message"], row["sender"], row["conversation_id"]) == (
        "Non 👎",
        "+33612345678",
        conversation["id"],
    )
    report = {"messageId": outgoing["provider_id"], "status": "expired", "err-code": "27"}
    assert client.post(f"{base}/dlr", json=report).get_json()["status"] == "failed"
    with pytest.raises(InvalidCallback, match="'msisdn' is missing"):
        service.provider.parse_reply({"messageId": "x", "text": "y"})


@pytest.mark.parametrize("settings", ["jasmin-ack"], indirect=True)
def test_jasmin_reads_its_own_acknowledgement(app, client, service):
    conversation, _ = sent_message(service)
    base = f"/callbacks/http/{app.config['callback_token']}"
    form = {"id": "mo-9", "from": "+33612345678", "to": conversation["shortcode"], "content": "Oui"}
    reply = client.post(base, data=form)
    assert reply.status_code == 200 and reply.get_data(as_text=True) == "ACK/Jasmin"
    assert service.store.find_reply("http", "mo-9")["status"] == "pending"
