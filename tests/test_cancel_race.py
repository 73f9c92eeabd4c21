"""Cancelling a campaign while it sends: every recipient is either sent or refunded, never
both, never neither — on the real database (SQLite, or PostgreSQL with several writers).

Two "hosts" share the database, as two processes would: one runs the work engine's
background threads (``Background``: workers and a sweeper that claims due SMS and
campaign steps), the other steps campaigns in a thread of its own with no workers, so the
SMS it hands over wait unclaimed for the first host's sweeper. Campaigns are cancelled at
varied moments of their sending, again and again; each time, once nothing is left to do,
sent + refunded equals the recipients exactly and the balance says the same.
"""

from __future__ import annotations

import random
import threading
import time

from smsreply.engine.background import Background
from smsreply.service import Service
from smsreply.store import Store

RECIPIENTS = 300
ROUNDS = 10


def _worker_host(settings) -> tuple[Service, Background]:
    settings = {**settings, "worker.threads": 4, "worker.sweep_seconds": 0.02}
    service = Service(settings, Store.from_settings(settings))
    return service, Background(service).start()


def _step_forever(service: Service, stop: threading.Event) -> None:
    while not stop.is_set():
        jobs = service.engine.claim_due("campaign", 1)
        for job in jobs:
            service.engine.run(job)
        if not jobs:
            time.sleep(0.005)


def _settled(service: Service, campaign_id: int, deadline: float) -> dict:
    while time.monotonic() < deadline:
        counts = service.campaign(campaign_id)["counts"]
        if counts["queued"] == 0 and counts.get("in_queue", 0) == 0:
            unsent = service.store.query(
                "SELECT count(*) AS n FROM outgoing WHERE status IN ('queued', 'sending')"
            )[0]["n"]
            if unsent == 0:
                return service.campaign(campaign_id)
        time.sleep(0.05)
    raise AssertionError(f"campaign #{campaign_id} did not settle")


def test_cancel_while_sending_sends_or_refunds_each_recipient_once(service, client, auth):
    settings = {**service.settings, "sms.rate_per_second": 600.0}
    service.settings = service.engine.settings = settings
    service.add_credits(RECIPIENTS * ROUNDS)
    worker, background = _worker_host(settings)
    stop = threading.Event()
    stepper = threading.Thread(target=_step_forever, args=(service, stop), daemon=True)
    stepper.start()
    randomness = random.Random(18)
    results = []
    try:
        for round_number in range(ROUNDS):
            before = service.store.balance()
            numbers = [f"06{10 + round_number}{n:06d}" for n in range(RECIPIENTS)]
            body = {"name": f"r{round_number}", "message": "Bonjour", "recipients": numbers}
            created = client.post("/api/campaigns", json=body, headers=auth)
            assert created.status_code == 201, created.get_data(as_text=True)
            campaign_id = created.get_json()["id"]
            wanted = randomness.randint(RECIPIENTS // 10, RECIPIENTS * 2 // 3)
            deadline = time.monotonic() + 30
            while service.campaign(campaign_id)["counts"]["sent"] < wanted:
                assert time.monotonic() < deadline, "the campaign does not send"
                time.sleep(0.002)
            assert client.post(
                f"/api/campaigns/{campaign_id}/cancel", headers=auth
            ).status_code in (
                200,
                409,  # it finished first
            )
            shown = _settled(service, campaign_id, time.monotonic() + 60)
            sent = shown["counts"]["sent"]
            results.append((sent, shown["refunded"]))
            assert sent + shown["refunded"] == RECIPIENTS, results
            assert service.store.balance() == before - sent, results
    finally:
        stop.set()
        stepper.join(10)
        background.stop()
        worker.store.close()
    outbox = service.store.query("SELECT count(*) AS n FROM simulator_outbox")[0]["n"]
    assert outbox == sum(sent for sent, _ in results)
