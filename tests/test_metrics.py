"""``GET /metrics`` through a real gunicorn (two workers, multiprocess mode): the numbers
scraped are what the API reports after replies, script runs and failures, sends and send
failures, delivery reports, a campaign, logins refused; the database's gauges (due work and
its age) are read at scrape time; the route wants its bearer token.
"""

from __future__ import annotations

import io
import re
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.fakes.http_gateway import FakeGateway
from tests.support.served import api, callback, send
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for

TOKEN = "metrics-t0ken-for-tests"


def scrape(server, token=TOKEN) -> dict[tuple[str, frozenset], float]:
    """Every sample, by (name, labels)."""
    response = requests.get(
        server.url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def total(samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(value for (key, got), value in samples.items() if key == name and wanted <= got)


def write_script(folder, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.fixture
def gateway():
    with FakeGateway() as fake:
        yield fake


@pytest.fixture
def server(tmp_path, database_url, gateway):
    scripts = tmp_path / "cgi"
    scripts.mkdir()
    write_script(scripts, "ok.sh", "printf 'Content-Type: text/plain\\n\\nBien recu'\n")
    write_script(scripts, "broken.sh", "echo oops >&2; exit 3\n")
    server = GunicornServer(
        tmp_path,
        database_url,
        provider_name="http",
        http_send_url=gateway.url,
        metrics_token=TOKEN,
        cgi_directory=scripts,
        worker_retry_base_seconds=0.05,
        worker_max_attempts=2,
        sms_rate_per_second=50,
    ).init()
    with server:
        yield server


def options(server):
    rules = [
        {"keyword": "OUI", "action": "text", "text": "Merci !"},
        {"keyword": "SCRIPT", "action": "cgi", "script": "ok.sh"},
        {"keyword": "PANNE", "action": "cgi", "script": "broken.sh"},
    ]
    spec = {"action": "none", "rules": rules}
    assert api(server, "PUT", "/api/reply-options", json=spec).status_code == 200


def dlr(server, provider_id: str, status: str):
    path = server.callback_path.replace("/ovh/", "/http/") + "/dlr"
    form = {"id": provider_id, "message_status": status}
    return requests.post(server.url + path, data=form, timeout=10)


def conversations(server, ids):
    return [api(server, "GET", f"/api/conversations/{i}").json() for i in ids]


def all_replies(server):
    return api(server, "GET", "/api/replies?per_page=200").json()["replies"]


def idle(server) -> bool:
    samples = scrape(server)
    return total(samples, "smsreply_jobs_due") == 0 and not [
        reply for reply in all_replies(server) if reply["status"] == "pending"
    ]


def test_the_numbers_scraped_are_what_the_api_reports(server, gateway):
    options(server)
    assert api(server, "POST", "/api/credits", json={"amount": 500}).status_code == 201
    gateway.fail_next(503, 'Error "busy"')  # the first SMS: retried once, then sent
    first = send(server, to="0611111111")
    assert wait_for(lambda: len(gateway.received) >= 2)
    gateway.fail_next(400, 'Error "Mandatory argument"')  # the second: refused for good
    second = send(server, to="0622222222")
    sent = [send(server, to=f"06333333{n:02d}") for n in range(4)]
    assert wait_for(lambda: idle(server))

    posted = {"OUI": 0, "SCRIPT": 0, "PANNE": 0}
    words = ("OUI", "OUI", "SCRIPT", "SCRIPT", "PANNE")  # rules are sticky: one a conversation
    for n, (conversation, word) in enumerate(zip([first, *sent], words, strict=True)):
        for k in range(2):
            assert callback(server, conversation, f"r-{n}-{k}", word).status_code == 200
            posted[word] += 1
    assert callback(server, first, "r-0-0", "OUI").json()["duplicate"] is True
    stranger = {"shortcode": first["shortcode"], "to": "0699999999"}
    assert callback(server, stranger, "lost-1", "OUI").status_code == 200  # unmatched
    details = conversations(server, [c["id"] for c in (first, second, *sent)])
    provider_ids = [d["sms"]["provider_id"] for d in details if d["sms"]["provider_id"]]
    for provider_id in provider_ids[:3]:
        assert dlr(server, provider_id, "DELIVRD").status_code == 200
    assert dlr(server, provider_ids[3], "UNDELIV").status_code == 200
    assert dlr(server, "no-such-id", "DELIVRD").json()["matched"] is False

    form = {"name": "Jeu", "message": "Venez-vous ? OUI/NON"}
    lines = "numero\n" + "".join(f"06444444{n:02d}\n" for n in range(12)) + "0123456789\n"
    files = {"recipients": ("jeu.csv", io.BytesIO(lines.encode()), "text/csv")}
    campaign = api(server, "POST", "/api/campaigns", data=form, files=files)
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    shown = lambda: api(server, "GET", f"/api/campaigns/{campaign_id}").json()  # noqa: E731
    assert wait_for(lambda: shown()["state"] == "done", 60)

    refused = login_attempts(server)
    assert wait_for(lambda: idle(server), 30)
    samples = scrape(server)
    counts = shown()["counts"]
    replies = all_replies(server)
    accepted = [r for r in replies if r["reason"] is None]
    assert total(samples, "smsreply_replies_received_total", status="accepted") == len(accepted)
    assert total(samples, "smsreply_replies_received_total", status="unmatched") == 1
    assert total(samples, "smsreply_replies_received_total", status="duplicate") == 1
    for result in ("answered", "no_answer", "failed"):
        count = len([r for r in replies if r["result"] == result])
        assert total(samples, "smsreply_replies_handled_total", result=result) == count, result
    assert total(samples, "smsreply_replies_handled_total", action="cgi") == 6
    assert total(samples, "smsreply_script_runs_total", exit="ok") == posted["SCRIPT"]
    assert total(samples, "smsreply_script_runs_total", exit="error") == posted["PANNE"]
    assert total(samples, "smsreply_script_duration_seconds_count") == 6
    callbacks = sum(posted.values()) + 2 + 5  # the duplicate, the stranger, the reports
    assert total(samples, "smsreply_callback_duration_seconds_count") == callbacks
    assert total(samples, "smsreply_callback_duration_seconds_count", route="dlr") == 5

    every_sms = outgoing(conversations(server, [c["id"] for c in (first, second, *sent)]))
    sent_ok = len([sms for sms in every_sms if sms["status"] == "sent"]) + counts["sent"]
    assert total(samples, "smsreply_sms_sent_total", provider="http") == sent_ok == 25
    assert sent_ok == len(gateway.received) - 2  # the gateway's 503 and 400
    failed = [sms for sms in every_sms if sms["status"] == "failed"]
    assert len(failed) == 1 and total(samples, "smsreply_sms_failed_total") == 1
    assert total(samples, "smsreply_sms_send_errors_total", retried="true") == 1
    for status, count in (("delivered", 3), ("failed", 1)):
        shown_so = [sms for sms in every_sms if sms["delivery_status"] == status]
        reported = total(samples, "smsreply_delivery_reports_total", status=status, matched="true")
        assert reported == len(shown_so) == count
    assert total(samples, "smsreply_delivery_reports_total", matched="false") == 1

    balance = api(server, "GET", "/api/credits").json()["balance"]
    assert total(samples, "smsreply_credits_balance") == balance
    for state in ("queued", "sent", "failed", "cancelled", "stopped"):
        got = total(samples, "smsreply_campaign_recipients", state=state)
        assert got == counts[state], state
    assert total(samples, "smsreply_campaign_recipients") == 12
    assert total(samples, "smsreply_login_failures_total") == refused[403]
    assert total(samples, "smsreply_logins_throttled_total") == refused[429]
    assert total(samples, "smsreply_database_up") == 1
    assert total(samples, "smsreply_schema_current") == 1
    assert total(samples, "smsreply_oldest_due_job_age_seconds") == 0
    assert total(samples, "smsreply_database_errors_total") == 0
    # Labels are bounded: no number, no message text anywhere in their values.
    values = " ".join(value for _name, labels in samples for _key, value in labels)
    assert not re.search(r"\d{6}|Merci|Venez|OUI|SCRIPT|PANNE", values)


def outgoing(details):
    """Every SMS but the campaign's: the messages sent and the answers to their replies."""
    answers = [reply["answer"] for detail in details for reply in detail["replies"]]
    return [detail["sms"] for detail in details] + [sms for sms in answers if sms]


def login_attempts(server) -> dict[int, int]:
    """Wrong passwords until the throttle refuses; the statuses seen, counted."""
    session = requests.Session()
    page = session.get(server.url + "/manager/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    seen = {403: 0, 429: 0}
    for _ in range(7):
        form = {"csrf_token": token, "username": "admin", "password": "wrong", "next": ""}
        response = session.post(server.url + "/manager/login", data=form, timeout=10)
        seen[response.status_code] += 1
    assert seen == {403: 5, 429: 2}  # five free failures, then a wait
    return seen


def test_due_work_and_its_age_are_read_at_scrape_time(tmp_path, database_url):
    server = GunicornServer(
        tmp_path, database_url, metrics_token=TOKEN, worker_threads=0, worker_sweep_seconds=60
    ).init()
    with server:
        for n in range(3):
            send(server, to=f"06555555{n:02d}")
        time.sleep(1.5)
        samples = scrape(server)
    assert total(samples, "smsreply_jobs_due", kind="sms") == 3
    assert total(samples, "smsreply_jobs_due", kind="reply") == 0
    assert 1.5 <= total(samples, "smsreply_oldest_due_job_age_seconds", kind="sms") < 30
    assert total(samples, "smsreply_oldest_due_job_age_seconds", kind="email") == 0


def test_metrics_want_the_token_and_are_off_without_one(tmp_path, database_url):
    server = GunicornServer(tmp_path, database_url, metrics_token=TOKEN).init()
    with server:
        bare = requests.get(server.url + "/metrics", timeout=10)
        wrong = requests.get(
            server.url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=10
        )
        assert scrape(server)
    assert bare.status_code == wrong.status_code == 401
    assert bare.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in server.log.read_text()
    off = GunicornServer(tmp_path / "off", database_url)
    (tmp_path / "off").mkdir()
    with off:  # the database is migrated at start: no `smsreply init` needed
        response = requests.get(off.url + "/metrics", timeout=10)
    assert response.status_code == 404 and "metrics.token" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "exit_class"),
    [
        ("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nok'\n", "ok"),
        ("#!/bin/sh\nexit 3\n", "error"),
        ("#!/bin/sh\nkill -9 $$\n", "signal"),
        ("#!/bin/sh\nsleep 30\n", "timeout"),
        (None, "spawn"),  # saved, then edited on Windows: it cannot start
    ],
)
def test_each_way_a_script_ends_is_counted(app, service, settings, tmp_path, body, exit_class):
    from prometheus_client import REGISTRY

    from tests.support.actions import Phone, write_script

    settings["cgi.timeout"] = 1.0
    script = write_script(tmp_path / "cgi-bin", "s.sh", body or "#!/bin/sh\nexit 0\n")
    service.set_reply_options({"action": "cgi", "script": "s.sh"})
    if body is None:
        script.write_bytes(b"#!/bin/sh\r\nexit 0\r\n")

    def runs(name: str) -> float:
        return REGISTRY.get_sample_value("smsreply_script_runs_total", {"exit": name}) or 0.0

    before = {name: runs(name) for name in ("ok", "error", "signal", "timeout", "spawn")}
    Phone(app, service).reply("x")
    after = {name: runs(name) for name in before}
    assert {name: after[name] - before[name] for name in before} == {
        name: 1.0 if name == exit_class else 0.0 for name in before
    }


def test_each_launched_server_counts_into_a_folder_of_its_own(tmp_path):
    """Servers the bench and the tests start side by side (both databases at once) never
    share the project's var/metrics: gunicorn empties its folder at start, and a shared one
    had two starts deleting the same stale files (a FileNotFoundError that stopped one)."""
    from testkit.gunicorn import Gunicorn

    first, second = Gunicorn(tmp_path / "a", {}), Gunicorn(tmp_path / "b", {})
    folders = {server.env["SMSREPLY_METRICS_DIRECTORY"] for server in (first, second)}
    assert folders == {str(tmp_path / "a" / "metrics"), str(tmp_path / "b" / "metrics")}
