"""The Kannel provider's protocol on payloads recorded from Kannel 1.4.5, its settings, and
its errors; the same provider against a real Kannel is in ``test_kannel_e2e.py``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from smsreply.providers.base import InvalidCallback, OutgoingSms, ProviderError
from smsreply.providers.kannel import KannelProvider, protocol
from smsreply.settings import ConfigError

# What Kannel 1.4.5's smsbox sent for a UCS-2 MO "Oui  merci,\nà bientôt 😀" (get-url of
# docs/providers-kannel.md, mo-recode = true), and for a DLR on our dlr-url.
RECORDED_MO = (
    "id=70944ff5-f78e-49a7-8c38-45a16a74183e&from=%2B33612345678&to=38123"
    "&text=Oui++merci%2C%0A%C3%A0+bient%C3%B4t+%F0%9F%98%80&time=1795572550&smsc=operator"
    "&coding=0&charset=UTF-8"
)
RECORDED_DLR = "id=7&status=8&answer=ACK%2F"
CALLBACK = "https://sms.example.fr/callbacks/kannel/tok"


def sms(message="Répondez OUI ou NON", shortcode="38123", sms_id=7) -> OutgoingSms:
    return OutgoingSms(id=sms_id, to="+33612345678", message=message, shortcode=shortcode, tag="t")


def fields(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True))


def test_sendsms_request_for_gsm_text_asks_for_dlrs_on_our_callback():
    dlr_url = protocol.dlr_url(protocol.callback_url("https://sms.example.fr/", "tok"), 7)
    headers, body = protocol.sendsms_request(sms(), "smsreply", "pw", dlr_url, 31, "operator")
    assert body == "Répondez OUI ou NON".encode()
    assert headers == {
        "Content-Type": "text/plain; charset=UTF-8",
        "X-Kannel-Username": "smsreply",
        "X-Kannel-Password": "pw",
        "X-Kannel-From": "38123",
        "X-Kannel-To": "+33612345678",
        "X-Kannel-Coding": "0",
        "X-Kannel-DLR-Mask": "31",
        "X-Kannel-DLR-Url": f"{CALLBACK}/dlr?id=7&status=%d&answer=%A",
        "X-Kannel-SMSC": "operator",
    }


def test_text_outside_gsm_goes_as_ucs2_and_no_dlr_without_mask():
    headers, body = protocol.sendsms_request(sms("Ça marche ✓ 👍"), "u", "p", CALLBACK, 0)
    assert headers["X-Kannel-Coding"] == "2" and body.decode() == "Ça marche ✓ 👍"
    assert "X-Kannel-DLR-Url" not in headers and "X-Kannel-SMSC" not in headers
    with pytest.raises(ProviderError) as failure:
        protocol.sendsms_request(sms(shortcode=None), "u", "p")
    assert failure.value.retryable is False


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (403, "Authorization failed for sendsms", False),
        (400, "Charset or body misformed, rejected", False),
        (400, "Sender missing and no global set, rejected", False),
        (500, "Sending failed.", True),
        (503, "Temporal failure, try again later.", True),
    ],
)
def test_sendsms_answers(status, body, retryable):
    protocol.check_sendsms_answer(202, "0: Accepted for delivery")
    protocol.check_sendsms_answer(202, "3: Queued for later delivery")
    with pytest.raises(ProviderError) as failure:
        protocol.check_sendsms_answer(status, body)
    assert failure.value.retryable is retryable
    assert body in failure.value.message


def test_recorded_reply_keeps_spaces_newlines_accents_and_emoji():
    reply = protocol.parse_reply(fields(RECORDED_MO))
    assert reply.message == "Oui  merci,\nà bientôt 😀"
    assert (reply.provider_id, reply.sender, reply.shortcode) == (
        "70944ff5-f78e-49a7-8c38-45a16a74183e",
        "+33612345678",
        "38123",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"coding": "2", "charset": "UTF-16BE"}, "set mo-recode = true"),
        ({"coding": "0", "charset": "ISO-8859-1"}, "no alt-charset"),
        ({"from": ""}, "field 'from' is missing or empty"),
        ({"text": "Oui\x00"}, "field 'text' contains a NUL"),
    ],
)
def test_replies_kannel_could_not_make_utf8_are_refused(change, message):
    with pytest.raises(InvalidCallback, match=message):
        protocol.parse_reply(fields(RECORDED_MO) | change)


def test_delivery_reports():
    accepted = protocol.parse_delivery_report(fields(RECORDED_DLR))
    assert (accepted.provider_id, accepted.status) == ("7", "pending")
    assert accepted.detail == "Kannel DLR 8: accepted by the SMSC; ACK/"
    for code, status in (("1", "delivered"), ("2", "failed"), ("4", "pending"), ("16", "failed")):
        assert protocol.parse_delivery_report({"id": "7", "status": code}).status == status
    with pytest.raises(InvalidCallback, match="unknown Kannel DLR type"):
        protocol.parse_delivery_report({"id": "7", "status": "3"})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"username": ""}, "kannel.username and kannel.password must be set"),
        ({"sendsms_url": "http://u:p@127.0.0.1:13013/"}, "kannel.sendsms_url"),
        ({"sendsms_url": "127.0.0.1:13013"}, "kannel.sendsms_url"),
        ({"dlr_mask": 64}, "kannel.dlr_mask"),
    ],
)
def test_bad_settings_stop_start_up(arguments, message):
    good = {"sendsms_url": "http://127.0.0.1:13013/cgi-bin/sendsms", "username": "u"}
    with pytest.raises(ConfigError, match=message):
        KannelProvider(**(good | {"password": "secret-pw"} | arguments))


def test_unreachable_kannel_is_retryable_and_the_password_stays_secret():
    provider = KannelProvider(
        sendsms_url="http://127.0.0.1:9/cgi-bin/sendsms", username="u", password="secret-pw"
    )
    with pytest.raises(ProviderError) as failure:
        provider.send(sms())
    assert failure.value.retryable is True
    assert "secret-pw" not in failure.value.message and "127.0.0.1:9" in failure.value.message
