"""Campaigns through the API: checked preview, credits reserved and refunded, paced sending
by the work engine, replies counted by first word, CSV export, precise errors."""

import csv
import io
import threading
import time

import pytest

from smsreply.accounts.ledger_reasons import reason
from smsreply.campaigns import sender
from smsreply.service import Service
from smsreply.store import Store

CSV = (
    "prenom;numero;date\n"
    "Ana;06 12 34 56 78;lundi\n"
    "Bob;0612345679;mardi\n"
    "Ana bis;+33612345678;jeudi\n"  # duplicate of line 2
    "Cy;01 23 45 67 89;mardi\n"  # landline
    "Dee;0612345680;\n"  # missing {date}
    "Eve;0612345681;www.exemple.fr\n"  # a URL once filled
    "Fay;0612345682;mercredi\n"  # replied STOP before
    "Gus;0612345683;vendredi\n"
)
TEXT = "Bonjour {prenom}, RDV {date}. OUI ou NON ?"


@pytest.fixture
def settings(settings):
    return {**settings, "sms.rate_per_second": 1000.0}


def upload(client, auth, text=CSV, query="", **form):
    data = {
        "name": "Jeu",
        "message": TEXT,
        **form,
        "recipients": (io.BytesIO(text.encode()), "c.csv"),
    }
    return client.post(
        f"/api/campaigns{query}", data=data, headers=auth, content_type="multipart/form-data"
    )


def stop(service, number):
    service.store.add_to_blacklist(number, "2026-11-20T00:00:00+00:00", None, "STOP")


def finish(service, rounds=50):
    for _ in range(rounds):
        service.drain()


def test_preview_lists_every_rejected_line_and_stores_nothing(client, auth, service):
    stop(service, "+33612345682")
    response = upload(client, auth, query="?dry_run=1")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["id"], data["recipients"], data["rejected"]) == (None, 3, 5)
    assert (data["segments"], data["credits"], data["credits_missing"]) == (3, 3, 0)
    reasons = [(row["line"], row["reason"]) for row in data["rejections"]]
    assert reasons == [
        (4, "duplicate"),
        (5, "invalid_number"),
        (6, "missing_field"),
        (7, "url"),
        (8, "blacklisted"),
    ]
    assert "line 2" in data["rejections"][0]["detail"]
    assert client.get("/api/campaigns", headers=auth).get_json()["campaigns"] == []
    assert service.store.balance() == 100


def test_accepted_campaign_reserves_credits_then_each_recipient_gets_a_conversation(
    client, auth, service
):
    response = upload(client, auth, tag="jeu-1")
    assert response.status_code == 201
    data = response.get_json()
    assert (data["recipients"], data["credits"], data["balance"]) == (4, 4, 96)
    assert data["counts"]["queued"] == 4
    assert service.store.ledger(1)[0]["reason"] == reason("campaign_reserved", campaign=data["id"])
    finish(service)
    outbox = sorted(service.store.list_outbox(50), key=lambda row: row["recipient"])
    assert [row["message"] for row in outbox] == [
        "Bonjour Ana, RDV lundi. OUI ou NON ?",
        "Bonjour Bob, RDV mardi. OUI ou NON ?",
        "Bonjour Fay, RDV mercredi. OUI ou NON ?",
        "Bonjour Gus, RDV vendredi. OUI ou NON ?",
    ]
    conversations = service.store.query("SELECT * FROM conversations ORDER BY id")
    assert {row["tag"] for row in conversations} == {"jeu-1"}
    assert [row["provider_tag"] for row in conversations] == [f"sr{r['id']}" for r in conversations]
    assert [row["tag"] for row in outbox] == [f"sr{r['id']}" for r in conversations]
    shown = client.get(f"/api/campaigns/{data['id']}", headers=auth).get_json()
    assert shown["state"] == "done"
    assert shown["counts"] | {} == {
        "queued": 0,
        "sent": 4,
        "failed": 0,
        "delivered": 0,
        "replied": 0,
        "cancelled": 0,
        "stopped": 0,
        "stopped_after": 0,
    }
    assert service.store.balance() == 96  # no second debit when sent


def test_a_balance_short_of_the_whole_campaign_refuses_it_whole(client, auth, service):
    service.store.change_credits(-98, "2026-11-25T09:00:00+00:00", "test")
    response = upload(client, auth)
    assert response.status_code == 402
    assert "needs 4, the balance is 2: 2 missing" in response.get_json()["error"]["message"]
    assert service.store.list_campaigns(10) == []
    assert service.store.query("SELECT * FROM campaign_recipients") == []
    assert service.store.balance() == 2
    preview = upload(client, auth, query="?dry_run=1").get_json()
    assert preview["credits_missing"] == 2


def test_sending_keeps_to_the_rate(app, service, settings, auth, client):
    service.settings = {**settings, "sms.rate_per_second": 20.0}
    service.engine.settings = service.settings
    numbers = [f"06123456{n:02d}" for n in range(10)]
    body = {"name": "r", "message": "Bonjour", "recipients": numbers}
    assert client.post("/api/campaigns", json=body, headers=auth).status_code == 201
    started = time.monotonic()
    finish(service)
    # 10 slots 1/20 s apart: at least 9/20 s (a loaded machine only makes it slower)
    assert time.monotonic() - started >= 9 / 20
    assert len(service.store.list_outbox(50)) == 10


def test_replies_are_counted_by_first_word_and_exported(client, auth, service, callback_url):
    service.set_reply_options({"action": "text", "text": "Merci !"})
    data = upload(client, auth).get_json()
    finish(service)
    conversations = {
        row["recipient"]: row for row in service.store.query("SELECT * FROM conversations")
    }
    for number, message in [
        ("+33612345678", "oui !"),
        ("+33612345679", "Non merci"),
        ("+33612345683", "Oui"),
        ("+33612345683", "peut-être"),
        ("+33612345682", "STOP"),
    ]:
        form = {
            "shortcode": conversations[number]["shortcode"],
            "tag": "",
            "id": f"r-{number}-{message}",
            "senderid": number,
            "message": message,
        }
        assert client.post(callback_url, data=form).status_code == 200
    finish(service)  # the reply options run for campaign replies as for any other
    answers = [row for row in service.store.list_outbox(50) if row["message"] == "Merci !"]
    assert sorted(row["recipient"] for row in answers) == [
        "+33612345678",
        "+33612345679",
        "+33612345683",
        "+33612345683",
    ]
    for conversation in list(conversations.values())[:2]:  # delivery reports count too
        sms = service.store.get("outgoing", conversation["outgoing_id"])
        dlr = f"{callback_url}/dlr?id={sms['provider_id']}&ptt=4&description=1"
        assert client.get(dlr).get_json()["matched"] is True
    shown = client.get(f"/api/campaigns/{data['id']}", headers=auth).get_json()
    assert shown["counts"]["delivered"] == 2
    assert shown["counts"]["replied"] == 3  # a STOP is no reply to count
    assert shown["replies"] == 4
    assert shown["reply_rate"] == 0.75
    assert shown["first_words"] == [
        {"word": "OUI", "count": 2},
        {"word": "NON", "count": 1},
        {"word": "PEUT", "count": 1},
    ]
    buckets = shown["timeline"]["buckets"]
    assert sum(b["sent"] for b in buckets) == 4 and sum(b["replies"] for b in buckets) == 4
    export = client.get(f"/api/campaigns/{data['id']}/export.csv", headers=auth)
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [
        (r["line"], r["number"], r["status"], r["replies"], r["first_reply"]) for r in rows
    ] == [
        ("2", "+33612345678", "sent", "1", "oui !"),
        ("3", "+33612345679", "sent", "1", "Non merci"),
        ("8", "+33612345682", "sent", "0", ""),
        ("9", "+33612345683", "sent", "2", "Oui"),
        ("4", "+33612345678", "rejected", "", ""),
        ("5", "01 23 45 67 89", "rejected", "", ""),
        ("6", "0612345680", "rejected", "", ""),
        ("7", "0612345681", "rejected", "", ""),
    ]
    assert rows[4]["reason"].startswith("duplicate: ")


def test_cancel_refunds_what_was_not_sent(service, client, auth, settings):
    service.settings = {**settings, "sms.rate_per_second": 1.0}  # steps of 2 recipients
    service.engine.settings = service.settings
    body = {"name": "c", "message": "Bonjour", "recipients": [f"06123456{n:02d}" for n in range(6)]}
    data = client.post("/api/campaigns", json=body, headers=auth).get_json()
    assert service.store.balance() == 94
    sender.step(service.engine, data["id"])
    cancelled = client.post(f"/api/campaigns/{data['id']}/cancel", headers=auth)
    assert cancelled.status_code == 200
    shown = cancelled.get_json()
    # the two handed over were queued, not yet tried: withdrawn and refunded as well
    assert (shown["state"], shown["refunded"], shown["counts"]["cancelled"]) == ("cancelled", 6, 6)
    assert service.store.balance() == 100
    finish(service)
    assert service.store.list_outbox(50) == []
    again = client.post(f"/api/campaigns/{data['id']}/cancel", headers=auth)
    assert again.status_code == 409


def test_scheduled_campaign_waits_for_its_time(service, client, auth):
    body = {
        "name": "later",
        "message": "Bonjour",
        "recipients": ["0612345678"],
        "send_at": "2099-01-01T09:00:00+01:00",
    }
    data = client.post("/api/campaigns", json=body, headers=auth).get_json()
    assert (data["state"], data["send_at"]) == ("scheduled", "2099-01-01T08:00:00.000000+00:00")
    finish(service, 2)
    assert service.store.list_outbox(10) == []
    assert service.cancel_campaign(data["id"])["refunded"] == 1


def test_a_number_that_replies_stop_before_its_turn_is_skipped_and_refunded(service, client, auth):
    body = {"name": "s", "message": "Bonjour", "recipients": ["0612345678", "0612345679"]}
    data = client.post("/api/campaigns", json=body, headers=auth).get_json()
    stop(service, "+33612345679")
    finish(service)
    assert [row["recipient"] for row in service.store.list_outbox(10)] == ["+33612345678"]
    shown = service.campaign(data["id"])
    assert (shown["counts"]["stopped"], shown["refunded"], service.store.balance()) == (1, 1, 99)


def test_two_workers_hand_each_recipient_over_once(app, settings, service, client, auth):
    service.add_credits(300)
    numbers = [f"0612{n:06d}" for n in range(300)]
    body = {"name": "race", "message": "Bonjour", "recipients": numbers}
    assert client.post("/api/campaigns", json=body, headers=auth).status_code == 201
    others = [Service(settings, Store.from_settings(settings)) for _ in range(2)]
    threads = [threading.Thread(target=finish, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finish(service)
    recipients = service.store.query("SELECT recipient FROM conversations")
    assert sorted(row["recipient"] for row in recipients) == sorted(f"+33{n[1:]}" for n in numbers)
    assert len(service.store.list_outbox(1000)) == 300


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"message": "Bonjour {nom}"}, 422, "no such column"),
        ({"message": "voir http://x.fr {prenom}"}, 422, "URL"),
        ({"name": ""}, 422, "'name'"),
        ({"send_at": "demain"}, 422, "ISO 8601"),
        ({"send_at": "2026-12-01T09:00:00"}, 422, "UTC offset"),
        ({"text": "numero\nx\n", "message": "Bonjour"}, 422, "no valid recipient"),
        ({"text": "Prénom;numero\nAné;0612345678\n", "message": "Salut {prenom}"}, 201, ""),
    ],
)
def test_bad_campaigns_are_refused_precisely(client, auth, kwargs, status, words):
    text = kwargs.pop("text", CSV)
    response = upload(client, auth, text=text, **kwargs)
    assert response.status_code == status, response.get_json()
    if words:
        assert words in response.get_json()["error"]["message"]


def test_upload_errors(client, auth, app, service):
    not_utf8 = {"name": "x", "message": "m", "recipients": (io.BytesIO(b"n\n06\xe9\n"), "c.csv")}
    response = client.post("/api/campaigns", data=not_utf8, headers=auth)
    assert response.status_code == 422 and "UTF-8" in response.get_json()["error"]["message"]
    assert client.post("/api/campaigns", data="x", headers=auth).status_code == 415
    service.settings = {**service.settings, "campaign.max_upload_bytes": 100}
    big = upload(client, auth, text="numero\n" + "0612345678\n" * 20)
    assert big.status_code == 413 and "100 bytes" in big.get_json()["error"]["message"]
    assert client.get("/api/campaigns/99", headers=auth).status_code == 404
    assert client.get("/api/campaigns/99/export.csv", headers=auth).status_code == 404
    assert client.post("/api/campaigns/99/cancel", headers=auth).status_code == 404
    assert client.get("/api/campaigns", headers={}).status_code == 401


def test_a_csv_body_with_the_fields_in_the_query(client, auth, service):
    response = client.post(
        "/api/campaigns?name=brut&message=Salut%20{prenom}",
        data="prenom,mobile\nZoe,0612345678\n",
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.get_json()
    finish(service)
    assert [row["message"] for row in service.store.list_outbox(5)] == ["Salut Zoe"]


def test_a_recipient_read_by_two_steps_is_handed_over_once(service, client, auth):
    body = {"name": "twice", "message": "Bonjour", "recipients": ["0612345678"]}
    data = client.post("/api/campaigns", json=body, headers=auth).get_json()
    claim = service.engine.claim("campaign", data["id"])
    [recipient] = service.store.pending_recipients(data["id"], 10)
    assert sender._hand_over(service.engine, claim, recipient)
    assert sender._hand_over(service.engine, claim, recipient)  # a stale read: no effect
    assert len(service.store.query("SELECT id FROM conversations")) == 1
    assert len(service.store.query("SELECT id FROM outgoing")) == 1


def test_send_slots_never_overlap_across_campaigns(service):
    now = time.time()
    first = service.store.reserve_send_slots(5, 0.1, now)
    second = service.store.reserve_send_slots(3, 0.1, now)
    assert first == pytest.approx(now) and second == pytest.approx(now + 0.5)
    later = service.store.reserve_send_slots(1, 0.1, now + 60)  # idle meanwhile: no debt
    assert later == pytest.approx(now + 60)


def test_one_status_name_a_finished_campaign_is_done_everywhere(client, auth, service):
    """The store said ``sent`` where the API, the CLI and the manager said ``done``: a
    finished campaign is stored ``done``, and a database from before is migrated."""
    body = {"name": "d", "message": "Bonjour", "recipients": ["0612345678"]}
    campaign_id = client.post("/api/campaigns", json=body, headers=auth).get_json()["id"]
    finish(service)
    assert service.store.get_campaign(campaign_id)["status"] == "done"
    assert client.get(f"/api/campaigns/{campaign_id}", headers=auth).get_json()["state"] == "done"
    with service.store.write():  # as a database written before the rename holds it
        service.store.db.execute("UPDATE campaigns SET status = 'sent'")
        service.store.db.execute(
            "DELETE FROM _sqlite_migrations WHERE name = 'm010_campaign_status_done'"
        )
    assert service.store.migrate() == ["m010_campaign_status_done"]
    assert service.store.get_campaign(campaign_id)["status"] == "done"
    conflict = client.post(f"/api/campaigns/{campaign_id}/cancel", headers=auth)
    assert conflict.status_code == 409 and "already done" in conflict.get_json()["error"]["message"]
