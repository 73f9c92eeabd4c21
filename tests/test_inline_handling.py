"""Replies handled in the callback's own transaction (``handling.handle_now``).

With background workers in the process, a reply routed to an action that needs no I/O
(``none``, a predefined ``text``) is handled before the callback is answered; its answer
alone goes to the workers. Each scenario below runs twice on an empty database — once
without workers (the reply waits for ``drain()``: the work engine's path) and once with
them — and every row it leaves must be the same: replies and their results, ledger lines,
conversation state and sticky routes, SMS, notifications, the blacklist. Then a kill -9
right after the callback's 200, through a real gunicorn: the answer still goes out once.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field

import pytest
import requests

from smsreply.engine.background import Background
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.web import create_app
from testkit.dataset import open_conversations
from testkit.scenario import start, tally
from testkit.sink import SinkProcess
from tests.conftest import ON_POSTGRES, FakeClock
from tests.support.actions import post_reply, write_script
from tests.support.smtp import SmtpServer

TABLES = (
    "conversations",
    "replies",
    "outgoing",
    "ledger",
    "notifications",
    "blacklist",
    "simulator_outbox",
)
# Set from the real time (claims), not from the service's clock: they differ run to run.
REAL_TIME = {"lease_until", "first_attempt_at", "next_attempt_at", "claim"}

NOTIFY = [
    {"media": "email", "sender": "sms@cabinet.example", "target": "docteur@cabinet.example"},
    {"media": "sms", "sender": "CABINET", "target": "+44 7911 123456"},
]
HANDLER = "def handle(reply):\n    return 'Vu: ' + reply.message\n"


@dataclass
class Scenario:
    options: dict
    # (phone index, message) posted in turn; ("later", hours); ("options", {…}) saved;
    # ("stranger", number): "OUI" from a number the first phone's short code never wrote to
    steps: list
    phones: int = 1
    credits: int = 100
    immediate: list[bool] = field(default_factory=list)  # per posted reply, when accepted


SCENARIOS = {
    "none": Scenario({"action": "none"}, [(0, "OUI"), (0, "encore")], immediate=[True, True]),
    "text": Scenario(
        {"action": "text", "text": "Merci, c’est noté", "smart_encoding": True},
        [(0, "OUI"), (0, "NON")],
        immediate=[True, True],
    ),
    "sticky rules": Scenario(
        {
            "action": "none",
            "rules": [
                {"keyword": "QUIZ", "action": "text", "text": "Question 1 ?"},
                {"keyword": "NON", "action": "text", "text": "Annulé", "sticky": False},
                {"regex": "^rdv\\s+\\d+", "action": "text", "text": "RDV noté"},
            ],
        },
        [(0, "non merci"), (0, "Quiz !"), (0, "canberra"), (1, "RDV 12"), (1, "bof")],
        phones=2,
        immediate=[True] * 5,
    ),
    "notifications": Scenario(
        {"action": "text", "text": "Merci", "notifications": NOTIFY},
        [(0, "OUI"), (0, "Oui\nà demain")],
        immediate=[True, True],
    ),
    "options changed": Scenario(
        {"action": "text", "text": "Avant"},
        [(0, "OUI"), ("options", {"action": "text", "text": "Après"}), (0, "OUI")]
        + [("options", {"action": "none"}), (0, "OUI")],
        immediate=[True, True, True],
    ),
    "handler and text": Scenario(
        {
            "action": "handler",
            "handler": "echo.py",
            "rules": [{"keyword": "OUI", "action": "text", "text": "Confirmé", "sticky": False}],
        },
        [(0, "OUI"), (0, "bonjour"), (0, "oui")],
        immediate=[True, False, True],
    ),
    # 1 credit for the message, 1 for the reply: the answer cannot be debited (no_credit);
    # the next reply cannot be debited at all (insufficient_credits)
    "no credit": Scenario(
        {"action": "text", "text": "Merci", "notifications": NOTIFY[1:]},
        [(0, "OUI"), (0, "encore")],
        credits=2,
        immediate=[True],
    ),
    "rejected": Scenario(
        {"action": "text", "text": "Merci"},
        [(0, "STOP"), (0, "OUI"), (1, "OUI"), (2, "OUI"), ("later", 49), (1, "trop tard")]
        + [("stranger", "0698765432"), ("stranger", "+447911123456")],
        phones=3,
        immediate=[True, True],
    ),
}


def posted_status(scenario: Scenario, workers: bool) -> list[str]:
    """What each callback answers: handled at once only with workers, and only when the
    route needs no I/O; rejected replies say so either way."""
    if not workers:
        return ["pending"] * len(scenario.immediate)
    return ["handled" if now else "pending" for now in scenario.immediate]


@pytest.fixture
def empty_settings(request, tmp_path, database_url):
    """Settings on an empty database, each call: a new SQLite file, or the test's
    PostgreSQL database emptied again."""
    calls = itertools.count()

    def make(smtp_port: int):
        n = next(calls)
        url = database_url
        if ON_POSTGRES and n:
            url = request.getfixturevalue("postgres_database").reset()
        return load_settings(
            None,
            env={},
            overrides={
                "database.path": str(tmp_path / f"run{n}.db"),
                "database.url": url,
                "worker.retry_base_seconds": 0.0,
                "worker.threads": 2,
                # no sweep after the first: what the callback leaves must reach the workers
                "worker.sweep_seconds": 600.0,
                "simulator.dlr_delay": 0.0,
                "smtp.host": "127.0.0.1",
                "smtp.port": smtp_port,
            },
        )

    return make


def play(settings, project_dir, scenario: Scenario, workers: bool):
    """Run ``scenario`` on a fresh service; (each accepted reply's callback status, rows)."""
    clock = FakeClock()
    app = create_app(settings, clock=clock, project_dir=project_dir)
    service = app.extensions["smsreply"]
    service.add_credits(scenario.credits)
    service.set_reply_options(scenario.options)
    conversations = [
        service.send_message(f"06123456{n:02d}", "RDV demain 10h ?") for n in range(scenario.phones)
    ]
    service.drain()  # the messages sent before any reply comes
    background = Background(service).start() if workers else None
    statuses = []
    try:
        for number, (phone, message) in enumerate(scenario.steps):
            if phone == "later":
                clock.advance(hours=message)
                continue
            if phone == "options":
                service.set_reply_options(message)
                continue
            conversation = conversations[phone] if phone != "stranger" else None
            if conversation is None:
                conversation, message = dict(conversations[0], recipient=message), "OUI"
            response = post_reply(app, conversation, message, f"mo-{number}")
            assert response.status_code == 200, response.get_data(as_text=True)
            if response.get_json()["reason"] is None:
                statuses.append(response.get_json()["status"])
            settle(service, workers)
    finally:
        if background is not None:
            background.stop()
    rows = {table: service.store.query(f"SELECT * FROM {table} ORDER BY 1") for table in TABLES}
    service.store.close()
    return statuses, comparable(rows)


def comparable(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The rows with what differs between two runs of a scenario named instead: the
    short codes (the simulator draws them), times from the real clock, how long a handler
    ran."""
    shortcodes = {
        row["shortcode"]: f"<short code {n}>" for n, row in enumerate(rows["conversations"])
    }

    def same(column: str, value: object) -> object:
        if column in REAL_TIME and value is not None:
            return "<real time>"
        if column == "outcome" and value is not None:
            outcome = json.loads(value)
            if "duration" in outcome:  # how long a handler ran
                outcome["duration"] = "<time taken>"
            value = json.dumps(outcome, ensure_ascii=False)
        if isinstance(value, str):
            for shortcode, name in shortcodes.items():
                value = value.replace(shortcode, name)
        return value

    return {
        table: [{column: same(column, value) for column, value in row.items()} for row in listed]
        for table, listed in rows.items()
    }


def settle(service, workers: bool, timeout: float = 20.0) -> None:
    """Wait until no work is left: drained in this thread, or done by the workers."""
    if not workers:
        service.drain()
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = service.store.query(
            "SELECT (SELECT count(*) FROM replies WHERE status = 'pending') "
            "+ (SELECT count(*) FROM outgoing WHERE status IN ('queued', 'sending')) "
            "+ (SELECT count(*) FROM notifications WHERE status = 'queued') AS left"
        )[0]["left"]
        if not left:
            return
        time.sleep(0.02)
    raise AssertionError("the workers left work undone")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_handled_in_the_callback_or_by_the_workers_the_rows_are_the_same(
    name, empty_settings, tmp_path
):
    scenario = SCENARIOS[name]
    write_script(tmp_path / "handlers", "echo.py", HANDLER, False)
    with SmtpServer() as smtp:
        queued = play(empty_settings(smtp.port), tmp_path, scenario, workers=False)
        inline = play(empty_settings(smtp.port), tmp_path, scenario, workers=True)
    assert queued[0] == posted_status(scenario, workers=False)
    assert inline[0] == posted_status(scenario, workers=True)
    for table in TABLES:
        assert inline[1][table] == queued[1][table], table
    replies = queued[1]["replies"]
    posted = [step for step in scenario.steps if step[0] not in ("later", "options")]
    assert len(replies) == len(posted)


def test_the_rows_compared_say_what_each_case_means(empty_settings, tmp_path):
    """The comparison above is only worth its rows: what a few of them say."""
    with SmtpServer() as smtp:
        _, credit = play(empty_settings(smtp.port), tmp_path, SCENARIOS["no credit"], True)
        _, sticky = play(empty_settings(smtp.port), tmp_path, SCENARIOS["sticky rules"], True)
        _, notes = play(empty_settings(smtp.port), tmp_path, SCENARIOS["notifications"], True)
        _, rejected = play(empty_settings(smtp.port), tmp_path, SCENARIOS["rejected"], True)
        mails = [mail["Subject"] for mail in smtp.inbox.messages]
    # the answer the balance could not cover stays, not sent; the next reply is refused
    assert [(row["kind"], row["status"]) for row in credit["outgoing"]] == [
        ("message", "sent"), ("answer", "no_credit"), ("notification", "no_credit"),
    ]  # fmt: skip
    assert [row["reason"] for row in credit["replies"]] == [None, "insufficient_credits"]
    assert [row["delta"] for row in credit["ledger"]] == [2, -1, -1]
    # "Quiz !" after the non-sticky NON rule starts the quiz; "canberra" and "bof" follow
    # the sticky rule of their conversation
    answers = {row["id"]: row["message"] for row in sticky["outgoing"]}
    assert [answers.get(row["answer_id"]) for row in sticky["replies"]] == [
        "Annulé", "Question 1 ?", "Question 1 ?", "RDV noté", "RDV noté",
    ]  # fmt: skip
    assert [row["route"] for row in sticky["conversations"]] == [
        "keyword QUIZ",
        "regex ^rdv\\s+\\d+",
    ]
    assert [row["status"] for row in notes["notifications"]] == ["sent", "sms"] * 2
    assert [row["reason"] for row in rejected["replies"]] == [
        "stop", "blacklisted", None, None, "late", "unmatched", "not_french_mobile",
    ]  # fmt: skip
    assert mails == [
        "Réponse SMS de +33612345600: OUI",
        "Réponse SMS de +33612345600: Oui à demain",
    ]


def test_options_saved_by_another_process_route_the_next_reply(settings, clock, tmp_path):
    app = create_app(settings, clock=clock, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    service.add_credits(10)
    service.set_reply_options({"action": "text", "text": "Avant"})
    conversation = service.send_message("0612345678", "RDV ?")
    other = create_app(settings, clock=clock, project_dir=tmp_path).extensions["smsreply"]
    background = Background(service).start()
    answers = []
    try:
        for number, text in enumerate(["Avant", "Après"]):
            other.set_reply_options({"action": "text", "text": text})
            response = post_reply(app, conversation, "OUI", f"x{number}").get_json()
            assert response["status"] == "handled"
            reply = service.store.get("replies", response["reply_id"])
            answers.append(service.store.get("outgoing", reply["answer_id"])["message"])
    finally:
        background.stop()
        other.store.close()
        service.store.close()
    assert answers == ["Avant", "Après"]


def test_options_that_no_longer_compile_are_left_to_the_workers(settings, clock, tmp_path):
    """A rule's handler removed: the options fail to compile in a process that had not
    compiled them yet. Even a reply the text answers then goes to the workers, which
    record why, as they always have."""
    handler = write_script(tmp_path / "handlers", "echo.py", HANDLER, False)
    rule = {"keyword": "AIDE", "action": "handler", "handler": "echo.py"}
    first = create_app(settings, clock=clock, project_dir=tmp_path).extensions["smsreply"]
    first.set_reply_options({"action": "text", "text": "Merci", "rules": [rule]})
    first.add_credits(10)
    conversation = first.send_message("0612345678", "RDV ?")
    first.store.close()
    handler.unlink()
    app = create_app(settings, clock=clock, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    background = Background(service).start()
    try:
        response = post_reply(app, conversation, "OUI", "x").get_json()
        settle(service, workers=True)
    finally:
        background.stop()
    reply = service.store.get("replies", response["reply_id"])
    service.store.close()
    assert response["status"] == "pending"
    assert (reply["status"], reply["result"], reply["action"]) == ("handled", "failed", "error")
    assert json.loads(reply["outcome"])["error"] == "config"


def test_a_kill_9_right_after_the_200_still_answers_once(tmp_path, database_url):
    database = database_url or tmp_path / "smsreply.db"
    with SinkProcess() as sink:
        server = start(tmp_path, sink, database)  # a text answer; workers; 2 s leases
        [target] = open_conversations(database, 1)
        sink.fault("hang", seconds=60, hold=5.0)  # the answer cannot leave before the kill
        form = {
            "shortcode": target.shortcode,
            "tag": target.tag,
            "id": "crash-1",
            "senderid": target.recipient,
            "message": "OUI",
        }
        response = requests.post(server.url + server.callback_path, data=form, timeout=10)
        server.kill9()
        assert response.status_code == 200 and response.json()["status"] == "handled"
        store = Store.at(database)
        reply = store.get("replies", response.json()["reply_id"])
        answer = store.get("outgoing", reply["answer_id"])
        ledger = [row["reason"] for row in store.ledger(10)]
        store.close()
        # committed with the 200: the reply handled, its answer queued (claimed) and debited
        assert (reply["status"], reply["result"]) == ("handled", "answered")
        assert answer["status"] in ("sending", "queued") and answer["kind"] == "answer"
        assert ledger[:2] == ["answer", "reply_received"]
        sink.fault("ok")
        server.start()
        result = tally(sink, 0, [target], {target.tag})
        server.stop()
    assert (result["answered"], result["lost"], result["duplicated"]) == (1, 0, 0), result
