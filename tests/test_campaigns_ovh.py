"""A campaign through the OVH provider, against the fake OVH API: one job per recipient
with its own tag, so every reply — by callback or by polling — matches its conversation;
a lost answer is looked up on OVH before any resend; SMS OVH refuses are refunded."""

import pytest

from smsreply.campaigns.accepting import Draft
from smsreply.campaigns.reading import read_json
from tests.test_ovh_service import fake, ovh_app  # noqa: F401 (fixtures)

NUMBERS = [f"+336123456{n:02d}" for n in range(12)]


@pytest.fixture
def service(ovh_app):  # noqa: F811
    service = ovh_app.extensions["smsreply"]
    service.settings = {**service.settings, "sms.rate_per_second": 1000.0}
    service.engine.settings = service.settings
    service.add_credits(100)
    return service


def start(service, numbers=NUMBERS):
    recipients = [{"number": number, "prenom": f"P{i}"} for i, number in enumerate(numbers)]
    columns, lines = read_json(recipients)
    data = service.create_campaign(
        Draft("ovh", "Bonjour {prenom} ! OUI/NON", columns=columns), lines
    )
    for _ in range(10):
        service.drain()
    return data


def test_one_job_per_recipient_with_its_own_tag_and_replies_match(fake, service):  # noqa: F811
    data = start(service)
    assert len(fake.jobs) == 12
    conversations = service.store.query("SELECT * FROM conversations ORDER BY id")
    for job, conversation in zip(fake.jobs, conversations, strict=True):
        assert job["receivers"] == [conversation["recipient"]]
        assert job["tag"] == conversation["provider_tag"] == f"sr{conversation['id']}"
        assert job["senderForResponse"] is True
        assert job["message"] == conversation["message"]
    assert {job["message"] for job in fake.jobs} == {f"Bonjour P{i} ! OUI/NON" for i in range(12)}
    # replies fetched by polling carry the tag and no short code: matched by tag
    for number, word in [(NUMBERS[0], "oui"), (NUMBERS[5], "NON"), (NUMBERS[7], "Oui bien sûr")]:
        tag = next(c["provider_tag"] for c in conversations if c["recipient"] == number)
        fake.add_incoming(number.replace("+", "00"), word, tag)
    assert service.provider.poll(lambda inbound: service.receive_reply(inbound, "ovh")) == 3
    shown = service.campaign(data["id"])
    assert shown["counts"]["sent"] == 12 and shown["counts"]["replied"] == 3
    assert shown["first_words"] == [{"word": "OUI", "count": 2}, {"word": "NON", "count": 1}]


def test_a_lost_answer_is_found_on_ovh_not_sent_again(fake, service):  # noqa: F811
    fake.hang_next(2.0)  # the first job is taken but its answer comes after ovh.timeout
    data = start(service, NUMBERS[:3])
    assert len(fake.jobs) == 3 and len(fake.outgoing) == 3
    assert service.campaign(data["id"])["counts"]["sent"] == 3


def test_sms_ovh_cannot_take_fail_after_their_tries_and_are_refunded(fake, service):  # noqa: F811
    fake.credits = 2  # OVH's own balance: "not enough credits" is retried, then fails
    data = start(service, NUMBERS[:4])
    shown = service.campaign(data["id"])
    assert (shown["state"], shown["counts"]["sent"], shown["counts"]["failed"]) == ("done", 2, 2)
    assert service.store.balance() == 10 + 100 - 4 + 2
