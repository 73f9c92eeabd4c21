"""A 1,000-recipient campaign end to end through a real gunicorn: a CSV with bad lines,
duplicates and a number that replied STOP, a kill -9 in the middle of sending and a
restart, replies to some recipients; the counts, the credits and the export checked exactly.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from urllib.parse import urlsplit

from tests.support.served import api, callback, send
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for

STOPPED = "+33699999999"


def campaign_csv() -> str:
    rows = ["prenom;numero"]
    rows += [f"P{n};06{10000000 + n}" for n in range(1000)]  # 1000 valid: lines 2-1001
    rows += [f"Fixe{n};01{23000000 + n}" for n in range(20)]  # landlines
    rows += [f"Dup{n};+336{10000000 + n}" for n in range(10)]  # duplicates of lines 2-11
    rows.append("Stop;06 99 99 99 99")
    return "\n".join(rows) + "\n"


def shown(server, campaign_id):
    return api(server, "GET", f"/api/campaigns/{campaign_id}").json()


def test_a_campaign_survives_kill_9_and_counts_its_replies_exactly(tmp_path):
    server = GunicornServer(tmp_path, sms_rate_per_second=100, worker_lease_seconds=2)
    printed = server.run_init()
    server.api_key = printed["API key"]
    server.callback_path = urlsplit(printed["Callback URL"]).path
    with server:
        assert api(server, "POST", "/api/credits", json={"amount": 2000}).status_code == 201
        first = send(server, to=STOPPED)
        assert callback(server, first, "stop-1", "STOP").status_code == 200
        form = {"name": "Jeu de Noël", "message": "Bonjour {prenom}, venez-vous ? OUI/NON"}
        files = {"recipients": ("jeu.csv", io.BytesIO(campaign_csv().encode()), "text/csv")}
        response = api(server, "POST", "/api/campaigns", data=form, files=files)
        assert response.status_code == 201, response.text
        campaign = response.json()
        assert (campaign["recipients"], campaign["rejected"], campaign["credits"]) == (
            1000,
            31,
            1000,
        )
        assert campaign["balance"] == 100 + 2000 - 1 - 1000
        assert wait_for(lambda: shown(server, campaign["id"])["counts"]["sent"] >= 150, 60)
        server.kill9()
    sent_before = (
        sqlite3.connect(tmp_path / "smsreply.db")
        .execute("SELECT count(*) FROM simulator_outbox")
        .fetchone()[0]
    )
    assert 150 <= sent_before < 1000, "the restart must come in the middle of the campaign"
    with server:
        assert wait_for(lambda: shown(server, campaign["id"])["state"] == "done", 120)
        export = api(server, "GET", f"/api/campaigns/{campaign['id']}/export.csv")
        rows = list(csv.DictReader(io.StringIO(export.text)))
        recipients = [row for row in rows if row["status"] != "rejected"]
        assert len(recipients) == 1000 and {row["status"] for row in recipients} == {"sent"}
        replies = {}
        for index, row in enumerate(recipients[:100]):
            word = ("OUI !", "non merci", "Peut-être")[0 if index < 60 else 1 if index < 90 else 2]
            conversation = {"shortcode": row["shortcode"], "to": row["number"]}
            assert callback(server, conversation, f"r{index}", word).status_code == 200
            replies[row["number"]] = word
        assert wait_for(lambda: shown(server, campaign["id"])["counts"]["replied"] == 100)
        data = shown(server, campaign["id"])
        export = api(server, "GET", f"/api/campaigns/{campaign['id']}/export.csv")
        balance = api(server, "GET", "/api/credits").json()["balance"]
    assert data["counts"] == {
        "queued": 0,
        "sent": 1000,
        "failed": 0,
        "delivered": 0,
        "replied": 100,
        "cancelled": 0,
        "stopped": 0,
        "stopped_after": 0,
    }
    assert data["reply_rate"] == 0.1
    assert data["first_words"] == [
        {"word": "OUI", "count": 60},
        {"word": "NON", "count": 30},
        {"word": "PEUT", "count": 10},
    ]
    assert balance == 100 + 2000 - 1 - 1000 - 100
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1031
    rejected = [row["reason"].split(":")[0] for row in rows if row["status"] == "rejected"]
    assert sorted(rejected) == ["blacklisted"] + ["duplicate"] * 10 + ["invalid_number"] * 20
    for row in rows[:1000]:
        assert row["first_reply"] == replies.get(row["number"], ""), row
        assert row["replies"] == ("1" if row["number"] in replies else "0")
    # nothing sent twice, nothing skipped: one conversation and one SMS per recipient
    db = sqlite3.connect(tmp_path / "smsreply.db")
    per_number = db.execute(
        "SELECT recipient, count(*) FROM conversations WHERE tag IS NULL AND recipient <> ? "
        "GROUP BY recipient",
        (STOPPED,),
    ).fetchall()
    assert len(per_number) == 1000 and {count for _, count in per_number} == {1}
    outbox = db.execute("SELECT recipient, count(*) FROM simulator_outbox GROUP BY recipient")
    counts = dict(outbox.fetchall())
    assert counts.pop(STOPPED) == 1 and len(counts) == 1000 and set(counts.values()) == {1}
    sent = db.execute("SELECT count(*) FROM outgoing WHERE status = 'sent'").fetchone()[0]
    assert sent == 1001
