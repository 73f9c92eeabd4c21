"""Campaign exports are safe to open in a spreadsheet: a cell that would start a formula
(``= + - @``, tab, CR), from a rejected line or a reply, gets a leading ``'``; plain numbers
such as ``+33612345678`` stay as they are. The API, the manager and the CLI alike."""

import csv
import io

import pytest

from smsreply.campaigns.report import spreadsheet_safe
from tests.test_cli import run  # noqa: F401 (fixture)
from tests.test_manager_pages import manager  # noqa: F401 (fixture)

HOSTILE_LINES = ["=1+2", "@SUM(A1:A9)", "-2+3", "+cmd|' /C calc'!A0", "-inf"]
REPLIES = {
    "+33612345678": "=cmd|' /C calc'!A0",
    "+33612345679": "-12.5",
    "+33612345680": '@HYPERLINK("http://x")',
    "+33612345681": "\t=1+1",
    "+33612345682": "\r\n=1+1",
}


@pytest.fixture
def settings(settings):
    return {**settings, "sms.rate_per_second": 1000.0}


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def check(rows: list[dict]) -> None:
    numbers = {row["number"] for row in rows}
    assert "+33612345678" in numbers  # a plain number is left as it is
    rejected = [row["number"] for row in rows if row["status"] == "rejected"]
    assert rejected == ["'" + line for line in HOSTILE_LINES]
    replies = {row["number"]: row["first_reply"] for row in rows if row["status"] == "sent"}
    assert replies == {
        "+33612345678": "'=cmd|' /C calc'!A0",
        "+33612345679": "-12.5",  # a number: a spreadsheet shows it as one, no formula
        "+33612345680": '\'@HYPERLINK("http://x")',
        "+33612345681": "'\t=1+1",
        "+33612345682": "'\r\n=1+1",
    }


def test_api_and_manager_exports_neutralise_formulas(
    client,
    auth,
    service,
    callback_url,
    manager,  # noqa: F811
):
    body = {"name": "x", "message": "Bonjour", "recipients": [*REPLIES, *HOSTILE_LINES]}
    created = client.post("/api/campaigns", json=body, headers=auth)
    assert created.status_code == 201, created.get_json()
    for _ in range(20):
        service.drain()
    shortcodes = {
        row["recipient"]: row["shortcode"]
        for row in service.store.query("SELECT recipient, shortcode FROM conversations")
    }
    for number, message in REPLIES.items():
        form = {"shortcode": shortcodes[number], "id": f"r{number}", "senderid": number}
        assert client.post(callback_url, data={**form, "message": message}).status_code == 200
    campaign_id = created.get_json()["id"]
    from_api = client.get(f"/api/campaigns/{campaign_id}/export.csv", headers=auth)
    check(rows_of(from_api.get_data(as_text=True)))
    from_manager = manager.get(f"/manager/campaigns/{campaign_id}/export.csv")
    check(rows_of(from_manager.get_data(as_text=True)))


def test_cli_export_neutralises_formulas(run, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SMSREPLY_SMS_RATE_PER_SECOND", "1000")
    recipients = tmp_path / "clients.csv"
    with recipients.open("w", newline="") as file:
        csv.writer(file).writerows([["numero"], ["0612345678"], *[[n] for n in HOSTILE_LINES]])
    run("campaign", "send", str(recipients), "Bonjour", "--wait")
    exported = tmp_path / "out.csv"
    run("campaign", "export", "1", "-o", str(exported))
    rows = rows_of(exported.read_text())
    assert [row["number"] for row in rows] == ["+33612345678"] + [
        "'" + line for line in HOSTILE_LINES
    ]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-inf", "'-inf"),  # Python's float() would take it; a spreadsheet reads a formula
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("+33612345678", "+33612345678"),
        ("-12.5", "-12.5"),
        ("+1e5", "+1e5"),
        ("Oui =)", "Oui =)"),
        ("", ""),
        (3, 3),
    ],
)
def test_only_what_would_start_a_formula_changes(cell, written):
    assert spreadsheet_safe(cell) == written
