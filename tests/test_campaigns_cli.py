"""``smsreply campaign``: send (preview, wait), list, show, export, cancel; errors in one line."""

from __future__ import annotations

import csv
import json
import re

from tests.test_cli import run  # noqa: F401 (fixture)

CSV = "prenom,numero\nAna,0612345678\nBob,0612345679\nCy,0123456789\nAna,06 12 34 56 78\n"


def test_campaign_send_preview_wait_show_export(run, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SMSREPLY_SMS_RATE_PER_SECOND", "1000")
    recipients = tmp_path / "clients.csv"
    recipients.write_text(CSV)
    preview = run("campaign", "send", str(recipients), "Bonjour {prenom}", "--dry-run")
    assert "2 recipient(s), 2 SMS part(s), 2 credit(s) (balance 100); 2 line(s) rejected" in (
        preview.output
    )
    assert "line 4: '0123456789': invalid_number" in preview.output
    assert "line 5: '06 12 34 56 78': duplicate (+33612345678 is already on line 2)" in (
        preview.output
    )
    sent = json.loads(
        run("campaign", "send", str(recipients), "Bonjour {prenom}", "--wait", "--json").output
    )
    assert (sent["name"], sent["state"], sent["counts"]["sent"]) == ("clients", "done", 2)
    shown = json.loads(run("campaign", "show", str(sent["id"]), "--json").output)
    assert shown["counts"]["sent"] == 2 and shown["timeline"]["buckets"]
    text = run("campaign", "show", str(sent["id"])).output
    assert "sent 2" in text
    bucket = shown["timeline"]["buckets"][0]  # the timeline --help promises, in UTC
    assert f"timeline (UTC, per {shown['timeline']['bucket_minutes']} min): sent, replies" in text
    assert re.search(rf"\n  {bucket['at'][:10]} {bucket['at'][11:16]} +2 +0(\n|$)", text), text
    assert "2/2" in run("campaign", "list").output
    exported = tmp_path / "out.csv"
    run("campaign", "export", str(sent["id"]), "-o", str(exported))
    rows = list(csv.DictReader(exported.open()))
    assert [(row["line"], row["status"]) for row in rows] == [
        ("2", "sent"),
        ("3", "sent"),
        ("4", "rejected"),
        ("5", "rejected"),
    ]
    again = run("campaign", "cancel", str(sent["id"]), ok=False)
    assert again.exit_code == 1 and "already sent" in again.output


def test_campaign_errors_are_one_line(run, tmp_path):  # noqa: F811
    recipients = tmp_path / "c.csv"
    recipients.write_text(CSV)
    missing = run("campaign", "send", str(recipients), "Bonjour {nom}", ok=False)
    assert missing.exit_code == 1 and "no such column" in missing.output
    scheduled = json.loads(
        run(
            "campaign", "send", str(recipients), "Salut", "--at", "2099-01-01T09:00:00Z", "--json"
        ).output
    )
    assert scheduled["state"] == "scheduled"
    cancelled = run("campaign", "cancel", str(scheduled["id"]))
    assert "cancelled" in cancelled.output and "refunded 2" in cancelled.output
    assert run("campaign", "show", "99", ok=False).exit_code == 1
