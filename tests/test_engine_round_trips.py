"""The work engine's steps on PostgreSQL, in round trips: a budget each, counted by the
bench's proxy (``bench/delay_proxy.py``) on the wire, so that a statement coming back into
a step fails here. With the database 1 ms away, each round trip is 2 ms of a worker thread.

Each step is taken several times and its median count kept: psycopg prepares a statement
the fifth time it runs it, a round trip of its own once.
"""

from __future__ import annotations

import statistics

import pytest

from bench.delay_proxy import DelayProxy
from smsreply.engine.heartbeat import mint
from smsreply.providers import DeliveryReport
from smsreply.settings import load_settings
from smsreply.web import create_app
from tests.support.actions import reply_form, write_script

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only

TIMES = 8


@pytest.fixture(scope="module")
def proxy(postgres_cluster):
    with DelayProxy(postgres_cluster.port) as proxy:
        yield proxy


@pytest.fixture
def service(proxy, postgres_url, tmp_path):
    """A service whose every statement crosses the proxy, with workers' queue open (work it
    stores is claimed for it), none of its threads running: the test runs each job."""
    proxy.set_delay(0.0)
    write_script(tmp_path / "handlers", "thanks.py", "def handle(reply):\n    return 'Merci'\n")
    settings = load_settings(
        None,
        env={},
        overrides={
            "database.path": str(tmp_path / "local.db"),
            "database.url": proxy.url(postgres_url),
            "simulator.dlr_delay": 0.0,
        },
    )
    app = create_app(settings, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    service.add_credits(1000)
    service.work_queue.open()
    yield service
    service.work_queue.close()
    service.store.close()


def round_trips(proxy: DelayProxy, step, *args) -> tuple[int, object]:
    """How many round trips ``step(*args)`` made, and what it returned."""
    before = proxy.counts()
    result = step(*args)
    return (proxy.counts() - before).round_trips, result


def reply(service, number: int, text: str = "OUI") -> list:
    """A reply posted as the callback stores it; the jobs it left for this process."""
    conversation = service.send_message(f"06123456{number:02d}", "RDV demain ?")
    for job in taken(service):  # the message itself, sent as the workers would
        service.engine.run(job)
    inbound = service.callback_parser("ovh").parse_reply(
        reply_form(conversation, text, f"trips-{number}")
    )
    service.receive_reply(inbound, "ovh")
    return taken(service)


def taken(service) -> list:
    """The jobs submitted to this process's queue, taken from it."""
    jobs = []
    while (job := service.work_queue.take(0.01)) is not None:
        jobs.append(job)
    return jobs


def median_trips(counts: list[int]) -> float:
    return statistics.median(counts)


def test_sending_an_answer_is_one_round_trip_of_the_engine(service, proxy):
    """Its row as the transaction that queued it returned it, not read again; then marked
    sent: one statement, no transaction of its own (the simulator's outbox line is the
    second)."""
    service.set_reply_options({"action": "text", "text": "Merci"})
    counts = []
    for number in range(TIMES):
        (job,) = [job for job in reply(service, number) if job.kind == "sms"]
        counts.append(round_trips(proxy, service.engine.run, job)[0])
        assert service.store.get("outgoing", job.id)["status"] == "sent"
    assert median_trips(counts) <= 1 + 1, counts


def test_a_deferred_reply_is_claimed_with_what_handling_reads(service, proxy):
    """Claimed, and read with its conversation, the reply options and the balance, in one
    statement; then recorded — its outcome, its answer queued, linked and debited — by one
    statement, its own transaction: 2 round trips before its answer is sent (7 before the
    record's transaction was cut, 3 while it kept BEGIN and COMMIT)."""
    service.set_reply_options({"action": "handler", "handler": "thanks.py"})
    counts = []
    for number in range(TIMES):
        (job,) = reply(service, number)
        assert job.kind == "reply"
        counts.append(round_trips(proxy, service.engine.handle_reply, job.id, job.lease)[0])
        assert service.store.get("replies", job.id)["status"] == "handled"
    assert median_trips(counts) <= 2, counts


def test_a_claim_renewal_and_a_sweep_are_one_statement_each(service, proxy):
    """No BEGIN and COMMIT around a write of one statement: the heartbeat's renewal, the
    sweeper's claim (after its read of what is due), a delivery report."""
    renewals, sweeps, reports = [], [], []
    for number in range(TIMES):
        conversation = service.send_message(f"06123457{number:02d}", "RDV ?")
        outgoing_id = conversation["outgoing_id"]
        taken(service)  # left to the sweeper, as if this process had no workers
        trips, claimed = round_trips(proxy, service.engine.claim_due, "sms", 100)
        sweeps.append(trips)
        assert [job.id for job in claimed] == [outgoing_id]
        lease = claimed[0].lease
        store = service.store
        renewals.append(
            round_trips(proxy, store.renew_claim, "sms", outgoing_id, lease.token, lease.until)[0]
        )
        assert service.engine.send_sms(outgoing_id, lease)
        provider_id = service.store.get("outgoing", outgoing_id)["provider_id"]
        report = DeliveryReport(provider_id=provider_id, status="delivered", detail="")
        reports.append(round_trips(proxy, service.record_delivery, report)[0])
        assert service.store.get("outgoing", outgoing_id)["delivery_status"] == "delivered"
    assert median_trips(sweeps) <= 2, sweeps
    assert median_trips(renewals) <= 1, renewals
    assert median_trips(reports) <= 1, reports
    assert not service.store.renew_claim("sms", outgoing_id, mint(1).token, 1e12)
