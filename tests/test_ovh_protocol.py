"""OVH's wire format, pure: job bodies, reports, callbacks, error mapping and signatures.

Payloads are OVH's schema samples, its DLR guide, the reply fixture of public code that
posts OVH's callback, and signature vectors computed with python-ovh's algorithm (as
``docs/providers-ovh.md`` section 6 describes them).
"""

from __future__ import annotations

import ovh.exceptions as ovh_errors
import pytest
import requests

from smsreply.providers.base import InvalidCallback, OutgoingSms, ProviderError
from smsreply.providers.ovh import protocol
from smsreply.providers.ovh.form import parse_ovh_reply

SMS = OutgoingSms(id=7, to="+33612345678", message="Venez-vous mardi ?", shortcode=None, tag="c7")


def test_job_body_asks_for_a_reply_capable_short_code_and_names_no_sender():
    assert protocol.job_body(SMS, no_stop_clause=True) == {
        "charset": "UTF-8",
        "message": "Venez-vous mardi ?",
        "noStopClause": True,
        "priority": "high",
        "receivers": ["+33612345678"],
        "senderForResponse": True,
        "tag": "c7",
        "validityPeriod": 2880,
    }
    assert protocol.job_body(SMS, no_stop_clause=False)["noStopClause"] is False


def test_job_report_gives_the_first_id_and_the_balance():
    report = {
        "creditsLeft": 1987.0,
        "ids": [10867690],
        "invalidReceivers": [],
        "tag": "rdv-42",
        "totalCreditsRemoved": 1.0,
        "validReceivers": ["+33612345678"],
    }
    sent = protocol.parse_job_report(report)
    assert (sent.provider_id, sent.credits_left, sent.shortcode) == ("10867690", 1987.0, None)


def test_job_report_with_an_invalid_receiver_is_a_final_error_naming_it():
    report = {"ids": [], "invalidReceivers": ["+33123456789"], "validReceivers": []}
    with pytest.raises(ProviderError, match=r"\+33123456789") as caught:
        protocol.parse_job_report(report)
    assert caught.value.retryable is False


def test_job_report_without_id_is_not_retried_lest_the_sms_go_twice():
    with pytest.raises(ProviderError, match="no SMS id") as caught:
        protocol.parse_job_report({"ids": [], "invalidReceivers": []})
    assert caught.value.retryable is False


def test_reply_callback_as_aidants_connect_recorded_it():
    fields = {
        "shortcode": "82555",
        "tag": "3f0c2a1e-uuid",
        "id": "123456",
        "senderid": "+33612345678",
        "message": "oui",
    }
    reply = parse_ovh_reply(fields)
    assert (reply.provider_id, reply.sender, reply.message) == ("123456", "+33612345678", "oui")
    assert (reply.shortcode, reply.tag) == ("82555", "3f0c2a1e-uuid")


def test_reply_callback_tag_is_optional():
    reply = parse_ovh_reply({"id": "1", "senderid": "0612345678", "message": "non"})
    assert reply.tag is None and reply.shortcode is None


@pytest.mark.parametrize("missing", ["id", "senderid", "message"])
def test_reply_callback_without_a_required_field_names_it(missing):
    fields = {"shortcode": "82555", "id": "1", "senderid": "+33612345678", "message": "oui"}
    fields[missing] = ""
    with pytest.raises(InvalidCallback, match=missing):
        parse_ovh_reply(fields)
    del fields[missing]
    with pytest.raises(InvalidCallback, match=missing):
        parse_ovh_reply(fields)


def test_delivery_report_as_ovh_documents_it():
    fields = {
        "id": "10867690",
        "ptt": "4",
        "date": "2021-09-28 16:17:01",
        "description": "1",
        "descriptionDlr": "Success",
    }
    report = protocol.parse_delivery_report(fields)
    assert (report.provider_id, report.status) == ("10867690", "delivered")
    assert report.detail == "Success; ptt 4; 2021-09-28 16:17:01"


@pytest.mark.parametrize(
    ("code", "status"),
    [("0", "pending"), ("1", "delivered"), ("2", "failed"), ("4", "pending")]
    + [("8", "pending"), ("16", "failed")],
)
def test_delivery_report_dlr_ids_in_description_or_raspisms_dlr(code, status):
    assert protocol.parse_delivery_report({"id": "9", "description": code}).status == status
    assert protocol.parse_delivery_report({"id": "9", "dlr": code}).status == status


@pytest.mark.parametrize(
    ("ptt", "status"), [("4", "delivered"), ("3", "pending"), ("24", "failed")]
)
def test_delivery_report_with_only_a_ptt_code(ptt, status):
    assert protocol.parse_delivery_report({"id": "9", "ptt": ptt}).status == status


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"ptt": "4", "description": "1"}, "id"),
        ({"id": "9"}, "description"),
        ({"id": "9", "description": "32"}, "description"),
    ],
)
def test_malformed_delivery_report_names_the_field(fields, named):
    with pytest.raises(InvalidCallback, match=named):
        protocol.parse_delivery_report(fields)


@pytest.mark.parametrize("field", ["id", "description", "descriptionDlr", "date"])
def test_a_nul_in_a_delivery_report_is_refused_naming_the_field(field):
    # Found by Schemathesis: PostgreSQL cannot store it, so the callback was a 500 there.
    fields = {"id": "abc", "description": "1", "descriptionDlr": "ok", "date": "2026"}
    with pytest.raises(InvalidCallback, match=f"field '{field}' contains a NUL"):
        protocol.parse_delivery_report(fields | {field: fields[field] + "\x00"})


def test_incoming_object_from_polling_has_no_short_code():
    data = {
        "creationDatetime": "2024-03-01T10:15:00+01:00",
        "credits": 1.0,
        "id": 4521,
        "message": "Oui, j'y serai",
        "sender": "+33612345678",
        "tag": "c7",
    }
    reply = protocol.parse_incoming(data)
    assert (reply.provider_id, reply.sender, reply.message) == (
        "4521",
        "+33612345678",
        data["message"],
    )
    assert (reply.tag, reply.shortcode) == ("c7", None)
    with pytest.raises(InvalidCallback, match="sender"):
        protocol.parse_incoming({**data, "sender": ""})


def _api_error(cls, status: int, message: str):
    response = requests.Response()
    response.status_code = status
    return cls(message, response=response)


@pytest.mark.parametrize(
    ("error", "retryable", "words"),
    [
        (
            _api_error(ovh_errors.BadParametersError, 400, "Invalid signature"),
            False,
            "application_secret",
        ),
        (
            _api_error(
                ovh_errors.BadParametersError, 400, "cannot send contact information with shortcode"
            ),
            False,
            "contact information",
        ),
        (_api_error(ovh_errors.BadParametersError, 400, "Query out of time"), False, "clock"),
        (
            _api_error(ovh_errors.NotGrantedCall, 403, "This call has not been granted"),
            False,
            "NOT_GRANTED_CALL",
        ),
        (_api_error(ovh_errors.InvalidKey, 403, "Invalid application key"), False, "INVALID_KEY"),
        (
            _api_error(ovh_errors.InvalidCredential, 403, "This credential does not exist"),
            False,
            "INVALID_CREDENTIAL",
        ),
        (
            _api_error(ovh_errors.NotCredential, 403, "You must login first"),
            False,
            "NOT_CREDENTIAL",
        ),
        (
            _api_error(ovh_errors.Forbidden, 403, "Not enough credits to send this SMS"),
            True,
            "credits",
        ),
        (
            _api_error(
                ovh_errors.ResourceNotFoundError, 404, "(serviceName = sms-x) does not exist"
            ),
            False,
            "service_name",
        ),
        (_api_error(ovh_errors.ResourceConflictError, 409, "Conflict"), True, "conflict"),
        (_api_error(ovh_errors.APIError, 500, "Internal server error"), True, "500"),
        (_api_error(ovh_errors.APIError, 503, "Service unavailable"), True, "503"),
        (_api_error(ovh_errors.APIError, 422, "Unprocessable"), False, "422"),
        (
            ovh_errors.HTTPError(
                "Low HTTP request failed error", requests.ReadTimeout("read timeout")
            ),
            True,
            "ReadTimeout",
        ),
        (
            ovh_errors.InvalidResponse("Failed to decode API response", ValueError()),
            True,
            "no usable answer",
        ),
        (ovh_errors.InvalidKey("Invalid ApplicationSecret 'None'"), False, "incomplete"),
    ],
)
def test_python_ovh_errors_map_to_provider_errors(error, retryable, words):
    mapped = protocol.error_from_api(error)
    assert isinstance(mapped, ProviderError)
    assert mapped.retryable is retryable
    assert words in mapped.message


def test_signature_matches_the_recorded_vectors():
    body = (
        '{"message": "Bonjour", "receivers": ["+33612345678"], "senderForResponse": true, '
        '"noStopClause": true, "tag": "rdv-42"}'
    )
    base = "https://eu.api.ovh.com/1.0/sms/sms-ab12345-1"
    secret, consumer = "EXAMPLE_APP_SECRET", "EXAMPLE_CONSUMER_KEY"
    assert (
        protocol.signature(secret, consumer, "POST", f"{base}/jobs", body, 1700000000)
        == "$1$ca9feeb7b6e72c0c2e0652c5ccfaaf77f0ef88f7"
    )
    assert (
        protocol.signature(secret, consumer, "get", f"{base}/incoming", "", "1700000000")
        == "$1$19c68450913aec135a505d45b273f1a5193a1db8"
    )
