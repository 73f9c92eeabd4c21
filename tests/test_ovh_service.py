"""smsreply with provider = ovh, against the fake OVH API: the whole loop, as in production.

OVH picks the short code, so the conversation learns it from the reply callback; a send
whose answer was lost (timeout) is found on OVH before any resend, across workers.
"""

import pytest

from smsreply.accounts.credentials import ensure_callback_token
from smsreply.settings import load_settings
from smsreply.web import create_app
from tests.support.fakes.ovh_api import FakeOvhApi
from tests.test_ovh_provider import APP_KEY, APP_SECRET, CONSUMER_KEY, SERVICE


@pytest.fixture
def fake():
    with FakeOvhApi(APP_KEY, APP_SECRET, CONSUMER_KEY, SERVICE, credits=50) as fake:
        yield fake


@pytest.fixture
def ovh_app(fake, tmp_path, clock, database_url):
    settings = load_settings(
        None,
        env={},
        overrides={
            "database.path": str(tmp_path / "ovh.db"),
            "database.url": database_url,
            "provider.name": "ovh",
            "ovh.endpoint": fake.url,
            "ovh.application_key": APP_KEY,
            "ovh.application_secret": APP_SECRET,
            "ovh.consumer_key": CONSUMER_KEY,
            "ovh.service_name": SERVICE,
            "ovh.timeout": 1.0,
            "worker.retry_base_seconds": 0.0,
        },
    )
    app = create_app(settings, clock=clock)
    service = app.extensions["smsreply"]
    service.add_credits(10)
    app.config["callback_token"] = ensure_callback_token(service.store)
    return app


def test_send_reply_answer_through_ovh(fake, ovh_app):
    service = ovh_app.extensions["smsreply"]
    service.set_reply_options({"action": "text", "text": "Merci !"})
    conversation = service.send_message("0612345678", "Venez-vous mardi ?", tag="rdv-1")
    assert conversation["shortcode"] is None  # OVH chooses it
    service.drain()
    [job] = fake.jobs
    assert job["senderForResponse"] is True and "sender" not in job
    assert job["tag"] == conversation["provider_tag"] and job["receivers"] == ["+33612345678"]
    form = {
        "shortcode": "38411",
        "tag": conversation["provider_tag"],
        "id": "9001",
        "senderid": "+33612345678",
        "message": "oui",
    }
    token = ovh_app.config["callback_token"]
    response = ovh_app.test_client().post(f"/callbacks/ovh/{token}", data=form)
    assert response.get_json()["status"] == "pending"
    assert service.store.get("conversations", conversation["id"])["shortcode"] == "38411"
    service.drain()
    assert [job["message"] for job in fake.jobs] == ["Venez-vous mardi ?", "Merci !"]
    answer = service.store.query("SELECT * FROM outgoing WHERE kind = 'answer'")[0]
    assert answer["status"] == "sent" and answer["provider"] == "ovh"
    # OVH's own balance is kept beside ours: 50 at OVH, minus 2 SMS
    assert service.store.get_option("provider_credits")["balance"] == 48


def test_lost_answer_is_not_sent_twice(fake, ovh_app):
    service = ovh_app.extensions["smsreply"]
    fake.hang_next(2.5)  # OVH takes the job, we time out after 1 s
    conversation = service.send_message("0612345678", "Venez-vous mardi ?")
    service.drain()
    row = service.store.get("outgoing", conversation["outgoing_id"])
    assert row["status"] in ("queued", "sent")
    service.drain()
    row = service.store.get("outgoing", conversation["outgoing_id"])
    assert row["status"] == "sent" and row["attempts"] == 2
    assert len(fake.jobs) == 1


def test_final_ovh_error_fails_the_sms_and_refunds(fake, ovh_app):
    service = ovh_app.extensions["smsreply"]
    fake.fail_next(403, "NOT_GRANTED_CALL", "This call has not been granted")
    conversation = service.send_message("0612345678", "Bonjour")
    balance = service.store.balance()
    service.drain()
    row = service.store.get("outgoing", conversation["outgoing_id"])
    assert row["status"] == "failed" and "NOT_GRANTED_CALL" in row["error"]
    assert service.store.balance() == balance + 1


def test_poller_feeds_the_same_pipeline_and_deletes_after_storing(fake, ovh_app):
    from smsreply.engine.polling import Poller

    service = ovh_app.extensions["smsreply"]
    service.set_reply_options({"action": "text", "text": "Merci !"})
    conversation = service.send_message("0612345678", "Venez-vous mardi ?")
    service.drain()
    incoming_id = fake.add_incoming("+33612345678", "oui", conversation["provider_tag"])
    poller = Poller(service, interval=60)
    assert poller.poll_once() == 1
    assert fake.incoming == {}  # deleted on OVH once stored
    reply = service.store.find_reply("ovh", str(incoming_id))
    assert reply["status"] == "pending" and reply["conversation_id"] == conversation["id"]
    # the same reply through the callback as well: one effect
    token = ovh_app.config["callback_token"]
    form = {
        "shortcode": "38411",
        "tag": conversation["provider_tag"],
        "id": str(incoming_id),
        "senderid": "+33612345678",
        "message": "oui",
    }
    again = ovh_app.test_client().post(f"/callbacks/ovh/{token}", data=form).get_json()
    assert again["duplicate"] is True
    service.drain()
    assert [job["message"] for job in fake.jobs] == ["Venez-vous mardi ?", "Merci !"]


def test_a_reply_that_cannot_be_stored_stays_on_ovh(fake, ovh_app):
    from smsreply.engine.polling import Poller

    service = ovh_app.extensions["smsreply"]
    fake.add_incoming("+33612345678", "oui")
    read_only(service.store, True)  # the database can no longer be written
    assert Poller(service, interval=60).poll_once() == 0
    assert len(fake.incoming) == 1
    read_only(service.store, False)
    assert Poller(service, interval=60).poll_once() == 1
    assert fake.incoming == {}


def read_only(store, on: bool) -> None:
    """SQLite: this connection may no longer write; PostgreSQL: the whole database."""
    if store.dialect == "sqlite":
        store.db.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
        return
    import psycopg

    with psycopg.connect(store.backend.url, autocommit=True) as admin:
        admin.execute("SET default_transaction_read_only = off")
        name = admin.execute("SELECT current_database()").fetchone()[0]
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {on}')
    store.close()  # the pool's next connections get the new default


def test_one_poller_runs_across_processes_and_another_takes_over(fake, ovh_app):
    """The poller holds the store's ``exclusive("poller")`` lock (a PostgreSQL advisory lock
    shared by every host; a flock beside the SQLite file) while it runs, and frees it."""
    import time

    from smsreply.engine.polling import Poller
    from smsreply.store import Store

    service = ovh_app.extensions["smsreply"]
    settings = service.settings
    other_host = Store(settings["database.path"], url=settings["database.url"])
    poller = Poller(service, interval=0.05).start()
    try:
        fake.add_incoming("+33612345678", "oui")
        deadline = time.monotonic() + 10
        while fake.incoming and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.incoming == {}  # it polls…
        with other_host.exclusive("poller") as held:
            assert held is False  # …and no other process may
    finally:
        poller.stop()
    for _ in range(100):
        with other_host.exclusive("poller") as held:
            if held:
                break
        time.sleep(0.05)
    assert held is True  # stopped: another host's poller takes over
    other_host.close()
