"""OvhProvider and its poller against the fake OVH API, through the stock ``ovh`` client.

Every call here is real HTTP to ``tests/support/fakes/ovh_api.py``, which verifies keys,
timestamps and signatures as OVH does, so "accepted" means "signed correctly".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests

from smsreply.providers.base import InboundReply, OutgoingSms, ProviderError
from smsreply.providers.ovh import OvhProvider, protocol
from tests.support.fakes.ovh_api import FakeOvhApi

APP_KEY = "7kbG7Bk7S9Nt7ZSV"
APP_SECRET = "EXEgWIz07P0HYwtQDs7cNIqCiQaWSuHF"
CONSUMER_KEY = "MtSwSrPpNjqfVSmJhLbPyr2i45lSwPU1"
SERVICE = "sms-ab12345-1"


@pytest.fixture(autouse=True)
def no_ovh_environment(monkeypatch):
    for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY"):
        monkeypatch.delenv(f"OVH_{name}", raising=False)


@pytest.fixture
def fake():
    with FakeOvhApi(APP_KEY, APP_SECRET, CONSUMER_KEY, SERVICE, credits=100) as api:
        yield api


def make_provider(fake: FakeOvhApi, **overrides) -> OvhProvider:
    arguments = dict(
        endpoint=fake.url,
        application_key=APP_KEY,
        application_secret=APP_SECRET,
        consumer_key=CONSUMER_KEY,
        service_name=SERVICE,
        timeout=1.0,
    )
    return OvhProvider(**(arguments | overrides))


@pytest.fixture
def provider(fake):
    provider = make_provider(fake)
    yield provider
    provider.close()


def sms(
    message="Venez-vous mardi ?", to="+33612345678", sms_id=7, tag="c7", retry_of=None
) -> OutgoingSms:
    return OutgoingSms(
        id=sms_id, to=to, message=message, shortcode=None, tag=tag, retry_of=retry_of
    )


def signed_get(fake: FakeOvhApi, path: str, timestamp: int, secret: str = APP_SECRET):
    url = fake.url + path
    headers = {
        "X-Ovh-Application": APP_KEY,
        "X-Ovh-Consumer": CONSUMER_KEY,
        "X-Ovh-Timestamp": str(timestamp),
        "X-Ovh-Signature": protocol.signature(secret, CONSUMER_KEY, "GET", url, "", timestamp),
    }
    return requests.get(url, headers=headers, timeout=5)


def test_a_send_is_signed_accepted_and_debited(fake, provider):
    sent = provider.send(sms())
    assert sent.provider_id in {str(outgoing_id) for outgoing_id in fake.outgoing}
    assert sent.credits_left == 99.0 == fake.credits
    assert fake.jobs == [protocol.job_body(sms(), no_stop_clause=True)]
    assert ("POST", f"{fake.url}/sms/{SERVICE}/jobs") in fake.calls


def test_the_fake_really_checks_signatures_and_timestamps(fake):
    now = int(time.time())
    assert signed_get(fake, f"/sms/{SERVICE}/incoming", now).json() == []
    refused = signed_get(fake, f"/sms/{SERVICE}/incoming", now, secret="wrong")
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "INVALID_SIGNATURE")
    stale = signed_get(fake, f"/sms/{SERVICE}/incoming", now - 600)
    assert (stale.status_code, stale.json()["errorCode"]) == (400, "QUERY_TIME_OUT")


def test_a_query_string_is_part_of_the_signed_url(fake, provider):
    first = provider.send(sms(tag="rdv-42"))
    provider.send(sms(tag="other"))
    assert provider.client.find_job_by_tag("rdv-42") == [int(first.provider_id)]
    assert ("GET", f"{fake.url}/sms/{SERVICE}/outgoing?tag=rdv-42") in fake.calls


def test_python_ovh_follows_ovh_clock_not_ours(fake, provider):
    fake.clock_offset = 3600
    assert provider.send(sms()).provider_id


def test_wrong_secret_is_a_clear_final_error_without_the_secret(fake):
    wrong = "WrongSecretWrongSecretWrongSecre"
    with pytest.raises(ProviderError) as caught:
        make_provider(fake, application_secret=wrong).send(sms())
    assert caught.value.retryable is False
    assert "Invalid signature" in caught.value.message
    assert "application_secret" in caught.value.message
    assert wrong not in caught.value.message and wrong not in str(caught.value)
    assert fake.jobs == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"application_key": "unknownAppKey123"}, "INVALID_KEY"),
        ({"consumer_key": "UnknownConsumerKeyUnknownConsume"}, "INVALID_CREDENTIAL"),
    ],
)
def test_unknown_keys_are_final_errors_naming_ovh_code(fake, overrides, code):
    with pytest.raises(ProviderError, match=code) as caught:
        make_provider(fake, **overrides).send(sms())
    assert caught.value.retryable is False


def test_a_call_not_granted_to_the_token_is_final(fake, provider):
    fake.fail_next(403, "NOT_GRANTED_CALL", "This call has not been granted")
    with pytest.raises(ProviderError, match="NOT_GRANTED_CALL") as caught:
        provider.send(sms())
    assert caught.value.retryable is False


def test_unknown_service_name_is_final_and_says_which_setting(fake):
    with pytest.raises(ProviderError, match="ovh.service_name") as caught:
        make_provider(fake, service_name="sms-zz99999-1").send(sms())
    assert caught.value.retryable is False


def test_server_error_is_retryable(fake, provider):
    fake.fail_next(500, None, "Internal server error")
    with pytest.raises(ProviderError, match="500") as caught:
        provider.send(sms())
    assert caught.value.retryable is True
    assert provider.send(sms()).provider_id  # the next try goes through


def test_timeout_is_retryable_and_the_retry_does_not_send_twice(fake, provider):
    fake.hang_next(3.0)  # OVH takes the job but answers after our 1 s timeout
    started = datetime.now(UTC)
    with pytest.raises(ProviderError, match="Timeout") as caught:
        provider.send(sms())
    assert caught.value.retryable is True
    assert len(fake.jobs) == 1
    sent = provider.send(sms(retry_of=started))  # the retry, maybe in another process
    assert len(fake.jobs) == 1
    assert sent.provider_id == str(next(iter(fake.outgoing)))


def test_a_retry_still_sends_when_ovh_never_took_the_first_try(fake, provider):
    earlier = provider.send(sms(message="Merci"))  # an identical SMS of the conversation…
    fake.outgoing[int(earlier.provider_id)]["creationDatetime"] = "2024-01-01T10:00:00+01:00"
    fake.fail_next(503, None, "Service unavailable")
    started = datetime.now(UTC)
    with pytest.raises(ProviderError):
        provider.send(sms(message="Merci", sms_id=8))
    retried = provider.send(sms(message="Merci", sms_id=8, retry_of=started))  # …sent before
    assert retried.provider_id != earlier.provider_id
    assert len(fake.jobs) == 2


def test_a_url_is_refused_with_a_short_code_and_costs_nothing(fake, provider):
    with pytest.raises(ProviderError, match="contact information") as caught:
        provider.send(sms(message="Confirmez sur https://example.org/rdv"))
    assert caught.value.retryable is False
    assert fake.credits == 100


@pytest.mark.parametrize("receiver", ["+33123456789", "+262692123456", "+447911123456"])
def test_a_receiver_short_codes_cannot_reach_is_a_final_error_naming_it(fake, provider, receiver):
    with pytest.raises(ProviderError, match=receiver.replace("+", r"\+")) as caught:
        provider.send(sms(to=receiver))
    assert caught.value.retryable is False


def test_credits_follow_segments_and_running_out_waits(fake, provider):
    assert provider.send(sms(message="é" * 160)).credits_left == 99.0  # GSM-7: 1 part
    assert provider.send(sms(message="é" * 161)).credits_left == 97.0  # 2 parts of 153
    assert provider.send(sms(message="😀" * 40)).credits_left == 95.0  # UCS-2: 80 units
    fake.credits = 0.5
    with pytest.raises(ProviderError, match="credits") as caught:
        provider.send(sms())
    assert caught.value.retryable is True


def test_an_api_message_carrying_a_secret_is_redacted(fake, provider):
    fake.fail_next(400, None, f"bad consumer {CONSUMER_KEY}")
    with pytest.raises(ProviderError) as caught:
        provider.send(sms())
    assert CONSUMER_KEY not in caught.value.message and "***" in caught.value.message


def test_from_settings_with_empty_values_uses_python_ovh_environment(fake, monkeypatch):
    monkeypatch.setenv("OVH_ENDPOINT", fake.url)
    monkeypatch.setenv("OVH_APPLICATION_KEY", APP_KEY)
    monkeypatch.setenv("OVH_APPLICATION_SECRET", APP_SECRET)
    monkeypatch.setenv("OVH_CONSUMER_KEY", CONSUMER_KEY)
    settings = {
        "ovh.endpoint": "",
        "ovh.application_key": "",
        "ovh.application_secret": "",
        "ovh.consumer_key": "",
        "ovh.service_name": "",  # the account's only SMS service is found
        "ovh.timeout": 5.0,
        "ovh.no_stop_clause": False,
    }
    provider = OvhProvider.from_settings(settings)
    assert provider.send(sms()).provider_id
    assert provider.client.service_name == SERVICE
    assert fake.jobs[0]["noStopClause"] is False


def test_an_unknown_endpoint_name_fails_at_construction():
    with pytest.raises(ProviderError, match="set ovh.endpoint") as caught:
        OvhProvider(endpoint="ovh-mars", application_key=APP_KEY, application_secret=APP_SECRET)
    assert caught.value.retryable is False


def test_missing_credentials_fail_at_construction(fake):
    with pytest.raises(ProviderError, match="application_key") as caught:
        OvhProvider(endpoint=fake.url, service_name=SERVICE)
    assert caught.value.retryable is False


def test_poller_stores_each_reply_then_deletes_it(fake, provider):
    first = fake.add_incoming("+33612345678", "oui", tag="c7")
    second = fake.add_incoming("+33698765432", "Non merci", tag="c8")
    received: list[InboundReply] = []

    def receive(inbound: InboundReply) -> None:
        assert int(inbound.provider_id) in fake.incoming  # not deleted before it is stored
        received.append(inbound)

    assert provider.poll(receive) == 2
    assert [(r.provider_id, r.sender, r.message, r.tag) for r in received] == [
        (str(first), "+33612345678", "oui", "c7"),
        (str(second), "+33698765432", "Non merci", "c8"),
    ]
    assert fake.incoming == {}
    assert ("DELETE", f"{fake.url}/sms/{SERVICE}/incoming/{first}") in fake.calls


def test_poller_leaves_a_reply_whose_storing_failed(fake, provider):
    kept = fake.add_incoming("+33612345678", "oui")
    taken = fake.add_incoming("+33698765432", "non")

    def receive(inbound: InboundReply) -> None:
        if inbound.provider_id == str(kept):
            raise RuntimeError("database is locked")

    assert provider.poll(receive) == 1
    assert list(fake.incoming) == [kept] and taken not in fake.incoming
    stored: list[InboundReply] = []
    assert provider.poll(stored.append) == 1
    assert [r.provider_id for r in stored] == [str(kept)] and fake.incoming == {}


def test_poller_listing_failure_is_a_retryable_error(fake, provider):
    fake.add_incoming("+33612345678", "oui")
    fake.fail_next(502, None, "Bad gateway")
    with pytest.raises(ProviderError) as caught:
        provider.poll(lambda inbound: None)
    assert caught.value.retryable is True
    assert len(fake.incoming) == 1


def test_reply_and_delivery_callbacks_are_parsed(provider):
    reply = provider.parse_reply({"id": "5", "senderid": "+33612345678", "message": "oui"})
    assert reply.message == "oui"
    report = provider.parse_delivery_report({"id": "5", "description": "2", "ptt": "24"})
    assert (report.status, report.detail) == ("failed", "ptt 24")
