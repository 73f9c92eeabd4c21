"""The generic HTTP provider, pure parts: requests built from the templates, answers read
on recorded Jasmin and Vonage payloads, and malformed settings stopping start-up. Real
HTTP and the callback routes are in ``test_http_gateway.py``.
"""

from __future__ import annotations

import json

import pytest

from smsreply.providers.base import OutgoingSms, ProviderError
from smsreply.providers.http import HttpProvider, build_request, message_id
from smsreply.settings import ConfigError, load_settings
from smsreply.web import create_app
from tests.support.fakes.http_gateway import JASMIN_RESPONSE_ID, VONAGE_SETTINGS

JASMIN_OK = 'Success "07033084-5cfd-4812-90a4-e4d24ffb6e3d"'
VONAGE_OK = json.dumps(
    {
        "message-count": "1",
        "messages": [
            {
                "to": "33612345678",
                "message-id": "0A0000000123ABCD1",
                "status": "0",
                "remaining-balance": "3.14159265",
                "message-price": "0.03330000",
                "network": "20801",
            }
        ],
    }
)
VONAGE_REFUSED = (
    '{"message-count": "1", "messages": [{"status": "4", "error-text": "Bad Credentials"}]}'
)
VONAGE_ID = VONAGE_SETTINGS["response_id"]


def sms(message="Répondez OUI ou NON", shortcode="38123", sms_id=7) -> OutgoingSms:
    return OutgoingSms(
        id=sms_id, to="+33612345678", message=message, shortcode=shortcode, tag="sr3"
    )


def provider(**options) -> HttpProvider:
    return HttpProvider({"send_url": "http://127.0.0.1:1401/send"} | options)


def test_jasmin_defaults_send_gsm_text_as_content_and_other_text_as_ucs2_hex():
    gsm = build_request(provider().template, sms())
    assert gsm == {
        "method": "POST",
        "url": "http://127.0.0.1:1401/send",
        "headers": {},
        "data": {"to": "+33612345678", "from": "38123", "coding": "0", "content": sms().message},
    }
    ucs2 = build_request(provider().template, sms("Ça marche ✓"))["data"]
    assert ucs2 == {
        "to": "+33612345678",
        "from": "38123",
        "coding": "8",
        "hex-content": "Ça marche ✓".encode("utf-16-be").hex().upper(),
    }


def test_vonage_json_get_query_literal_braces_and_empty_fields():
    vonage = build_request(provider(**VONAGE_SETTINGS).template, sms(shortcode="33644630000"))
    assert vonage["json"] == {
        "api_key": "k3y",
        "api_secret": "s3cr3t-v",
        "from": "33644630000",
        "to": "33612345678",
        "text": "Répondez OUI ou NON",
        "type": "unicode",
        "client-ref": "sr3",
    }
    fields = {"to": "{to_national}", "text": "{{{message}}}", "from": "{shortcode}", "flash": False}
    query = build_request(
        provider(send_method="GET", send_fields=json.dumps(fields)).template, sms(shortcode=None)
    )
    assert query["method"] == "GET"
    assert query["params"] == {
        "to": "0612345678",
        "text": "{Répondez OUI ou NON}",
        "flash": "false",
    }


@pytest.mark.parametrize(
    ("status", "body", "response_id", "expected"),
    [
        (200, JASMIN_OK, JASMIN_RESPONSE_ID, "07033084-5cfd-4812-90a4-e4d24ffb6e3d"),
        (200, VONAGE_OK, VONAGE_ID, "0A0000000123ABCD1"),
        (202, "queued", "", "7"),
    ],
)
def test_message_ids_from_recorded_answers(status, body, response_id, expected):
    assert message_id(status, body, response_id, 7) == expected


@pytest.mark.parametrize(
    ("status", "body", "response_id", "retryable", "text"),
    [
        (
            400,
            'Error "Mandatory argument to is not found."',
            JASMIN_RESPONSE_ID,
            False,
            "Mandatory",
        ),
        (
            403,
            'Error "Authentication failure for username:foo"',
            JASMIN_RESPONSE_ID,
            False,
            "(403)",
        ),
        (412, 'Error "No route found"', JASMIN_RESPONSE_ID, False, "No route found"),
        (200, VONAGE_REFUSED, VONAGE_ID, False, "Bad Credentials"),
        (200, "Error", JASMIN_RESPONSE_ID, False, "no message id"),
        (302, "", JASMIN_RESPONSE_ID, False, "redirected"),
        (429, "slow down", JASMIN_RESPONSE_ID, True, "429"),
        (500, 'Error "Cannot send submit_sm"', JASMIN_RESPONSE_ID, True, "Cannot send submit_sm"),
        (503, "", JASMIN_RESPONSE_ID, True, "(empty body)"),
    ],
)
def test_refusals_and_errors_say_whether_to_retry(status, body, response_id, retryable, text):
    with pytest.raises(ProviderError) as failure:
        message_id(status, body, response_id, 7)
    assert failure.value.retryable is retryable
    assert text in failure.value.message


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("http.send_url", "", "http.send_url must be an http"),
        ("http.send_url", "http://gw:1401/se nd", "http.send_url must be an http"),
        ("http.send_fields", '{"to": "{to}",', "http.send_fields is not a valid JSON object"),
        ("http.send_fields", '["to"]', "http.send_fields must be a JSON object"),
        ("http.send_fields", '{"to": "{recipient}"}', r"http.send_fields\['to'\]: bad placeholder"),
        ("http.send_fields", '{"text": "{message"}', "bad placeholder"),
        ("http.send_headers", '{"Authorization": 5}', "http.send_headers must map"),
        ("http.send_headers", '{"X-Key": "k\\r\\nX-Evil: 1"}', "printable ASCII text"),
        ("http.send_headers", '{"X Key": "k"}', "http.send_headers must map"),
        ("http.send_format", "xml", "http.send_format"),
        ("http.response_id", "text:Success", r"needs a \(group\)"),
        ("http.response_id", "text:(", "bad regex"),
        ("http.reply_fields", '{"id": "id", "message": "text"}', "http.reply_fields must map"),
        ("http.reply_fields", '{"id": "id", "sender": "a", "message": "b", "x": "y"}', "must map"),
        ("http.dlr_fields", '{"id": "id"}', "http.dlr_fields must map id, status"),
    ],
)
def test_malformed_settings_stop_start_up_naming_the_key(
    tmp_path, database_url, setting, value, message
):
    overrides = {
        "database.path": str(tmp_path / "smsreply.db"),
        "database.url": database_url,
        "provider.name": "http",
        "http.send_url": "http://127.0.0.1:1401/send",
        setting: value,
    }
    with pytest.raises(ConfigError, match=message):
        create_app(load_settings(None, env={}, overrides=overrides))


def test_get_with_json_is_refused():
    with pytest.raises(ConfigError, match="json with POST"):
        provider(send_method="GET", send_format="json")
