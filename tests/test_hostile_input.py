"""No 500 from input: every hostile value found by hand gets a precise 4xx (issue 10, item 10).

Each case once answered 500: a CRLF in a redirect target, JSON nested deeper than the
parser's recursion, a lone surrogate, a 5,000-digit integer, ids past SQLite's 64 bits, a
page number in superscript digits. The property test in ``test_faults.py`` looks for more.

Issue 19, item 6: a NUL character in any text (PostgreSQL answered 500, SQLite sent it),
CR-only line ends, a ``send_at`` in year 9999 or 0001, JSON recipients whose fields are
``null``, ``false`` or objects; and a property test of campaigns in every form.
"""

import io
import json
import os
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from smsreply.accounts import users
from tests.test_cli import run  # noqa: F401 (fixture)

PASSWORD = "correct horse battery"
NESTED = "[" * 30000 + "]" * 30000  # 60 KB of nested arrays


@pytest.fixture
def manager(app, service):
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())
    client = app.test_client()
    client.get("/manager/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    form = {"username": "admin", "password": PASSWORD, "csrf_token": token}
    assert client.post("/manager/login", data=form).status_code == 302
    return client


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_line_break_in_the_language_switch_target_is_not_followed(app, manager, logged_in):
    client = manager if logged_in else app.test_client()
    response = client.get("/manager/lang/en?next=/manager/%0d%0aX")
    assert response.status_code == 302
    assert "\r" not in response.location and "\n" not in response.location
    assert response.location.endswith("/manager/")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (NESTED, "nested"),
        ('{"to": "0612345678", "message": "\\ud800"}', "surrogate"),
        ('{"to": "0612345678", "message": "x", "tag": ' + "9" * 5000 + "}", "number"),
    ],
)
def test_hostile_json_to_the_api_is_a_400(client, auth, body, words):
    response = client.post(
        "/api/messages", data=body, content_type="application/json", headers=auth
    )
    assert response.status_code == 400, response.get_data()[:200]
    assert words in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        NESTED,
        '{"id": "1", "senderid": "+33612345678", "message": "\\ud800", "shortcode": "38127"}',
        '{"id": "1", "senderid": "+33612345678", "message": "x", "n": ' + "9" * 5000 + "}",
    ],
)
@pytest.mark.parametrize("route", ["", "/dlr"])
def test_hostile_json_to_the_callbacks_is_a_400(client, callback_url, service, body, route):
    response = client.post(callback_url + route, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data()[:200]
    assert service.store.query("SELECT id FROM replies") == []


def test_an_id_past_64_bits_is_a_404(client, auth, manager):
    huge = "99999999999999999999"
    assert client.get(f"/api/conversations/{huge}", headers=auth).status_code == 404
    assert manager.get(f"/manager/conversations/{huge}").status_code == 404
    assert manager.get(f"/manager/replies/{huge}").status_code == 404


def test_a_page_in_superscript_digits_is_refused_or_ignored(client, auth, manager):
    response = client.get("/api/conversations?page=²", headers=auth)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "page"
    for path in ("/manager/?page=²", "/manager/replies?page=²", "/manager/credits?page=²"):
        assert manager.get(path).status_code == 200


# -- odd input to the campaigns and every other text: a 4xx, never a 500, never garbage sent --

NUL_TEXT = "A\x00B"


def _sent_nothing(service) -> None:
    for _ in range(3):
        service.drain()
    assert service.store.query("SELECT id FROM campaigns") == []
    assert service.store.list_outbox(10) == []


def _csv_post(client, auth, body: bytes, query: dict):
    return client.post(
        "/api/campaigns", data=body, content_type="text/csv", headers=auth, query_string=query
    )


def _upload(client, auth, body: bytes, form: dict):
    data = {**form, "recipients": (io.BytesIO(body), "c.csv")}
    return client.post(
        "/api/campaigns", data=data, headers=auth, content_type="multipart/form-data"
    )


CAMPAIGN = {"name": "n", "message": "Bonjour {p}"}
NUL_REQUESTS = {
    "message": lambda c, a: c.post(
        "/api/messages", json={"to": "0612345678", "message": NUL_TEXT}, headers=a
    ),
    "campaign message": lambda c, a: c.post(
        "/api/campaigns",
        json={"name": "n", "message": NUL_TEXT, "recipients": ["0612345678"]},
        headers=a,
    ),
    "campaign field": lambda c, a: c.post(
        "/api/campaigns",
        json={**CAMPAIGN, "recipients": [{"number": "0612345678", "p": NUL_TEXT}]},
        headers=a,
    ),
    "csv body": lambda c, a: _csv_post(c, a, b"numero,p\n0612345678,A\x00B\n", CAMPAIGN),
    "csv query": lambda c, a: _csv_post(c, a, b"0612345678\n", {"name": "n", "message": "A\0B"}),
    "multipart file": lambda c, a: _upload(c, a, b"numero;p\n0612345678;A\x00B\n", CAMPAIGN),
    "multipart form": lambda c, a: _upload(c, a, b"0612345678\n", {"name": "n", "message": "\0"}),
    "reply options": lambda c, a: c.put(
        "/api/reply-options", json={"action": "text", "text": NUL_TEXT}, headers=a
    ),
    "query": lambda c, a: c.get("/api/conversations", query_string={"tag": NUL_TEXT}, headers=a),
}


@pytest.mark.parametrize("name", NUL_REQUESTS)
def test_a_nul_anywhere_in_the_api_is_a_422(client, auth, service, name):
    response = NUL_REQUESTS[name](client, auth)
    assert response.status_code == 422, response.get_data()[:300]
    assert "NUL" in response.get_json()["error"]["message"]
    _sent_nothing(service)
    assert service.reply_options() == {"action": "none"} or name != "reply options"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/manager/compose", {"to": "0612345678", "message": NUL_TEXT}),
        ("/manager/campaigns", {"name": "n", "message": NUL_TEXT, "numbers": "0612345678"}),
        ("/manager/campaigns", {"name": "n", "message": "x", "numbers": "0612345678\nA\x00B"}),
        ("/manager/options", {"action": "text", "text": NUL_TEXT}),
    ],
)
def test_a_nul_in_a_manager_form_is_a_422_page(manager, service, path, form):
    with manager.session_transaction() as session:
        token = session["csrf"]
    response = manager.post(path, data={**form, "csrf_token": token})
    assert response.status_code == 422
    assert "NUL" in response.text and "<html" in response.text
    _sent_nothing(service)


def test_a_nul_in_a_csv_given_to_the_cli_is_one_line(run, tmp_path):  # noqa: F811
    recipients = tmp_path / "c.csv"
    recipients.write_bytes(b"numero,p\n0612345678,A\x00B\n")
    result = run("campaign", "send", str(recipients), "Bonjour {p}", ok=False)
    assert result.exit_code == 1
    assert "NUL character (\\0) on line 2" in result.output


def test_cr_only_line_ends_are_lines(client, auth):
    """Excel's "CSV (Macintosh)" ends lines with CR alone; a CRLF split across the
    reader's 64 KiB blocks is one line end, not two."""
    body = b"prenom;numero\rAna;0612345678\rBob;0612345679\r"
    answer = _csv_post(client, auth, body, {"name": "n", "message": "Bonjour {prenom}"})
    assert answer.status_code == 201, answer.get_data()[:300]
    assert (answer.get_json()["recipients"], answer.get_json()["rejected"]) == (2, 0)
    head = b"prenom,numero\r\n"
    padding = b"x" * (65536 - len(head) - len(b",0612345678\r") - 1)
    body = head + b"A" + padding + b",0612345678\r\nBob,0612345679\r\n"
    assert body.index(b"\r\nBob") == 65535  # the CR ends the first block, its LF starts the next
    answer = _csv_post(client, auth, body, {"name": "n", "message": "Salut", "dry_run": "1"})
    assert answer.status_code == 200, answer.get_data()[:300]
    assert (answer.get_json()["recipients"], answer.get_json()["rejected"]) == (2, 0)


@pytest.mark.parametrize(
    ("send_at", "words"),
    [
        ("9999-12-31T23:59:59Z", "years ahead"),
        ("9999-12-31T23:59:59-05:00", "years ahead"),
        ("0001-01-01T00:00:00+01:00", "in the past"),
        ("0001-01-01T00:00:00Z", "in the past"),
        ("2026-11-25T08:00:00Z", "in the past"),  # an hour before the test clock
    ],
)
def test_send_at_out_of_range_or_past_is_a_422(client, auth, service, send_at, words):
    body = {"name": "n", "message": "x", "send_at": send_at, "recipients": ["0612345678"]}
    response = client.post("/api/campaigns", json=body, headers=auth)
    assert response.status_code == 422, response.get_data()[:300]
    error = response.get_json()["error"]
    assert error["field"] == "send_at" and words in error["message"]
    _sent_nothing(service)


def test_send_at_a_minute_ago_means_now(client, auth, service):
    body = {"name": "n", "message": "x", "recipients": ["0612345678"]}
    body["send_at"] = "2026-11-25T08:59:00Z"  # the test clock is 09:00
    answer = client.post("/api/campaigns", json=body, headers=auth).get_json()
    assert answer["send_at"] == "2026-11-25T09:00:00.000000+00:00"


@pytest.mark.parametrize("value", [False, True, {"a": 1}, ["x"]])
def test_a_json_recipient_field_that_is_not_text_is_a_422(client, auth, service, value):
    recipients = [{"number": "0612345678", "p": value}]
    response = client.post(
        "/api/campaigns", json={**CAMPAIGN, "recipients": recipients}, headers=auth
    )
    assert response.status_code == 422, response.get_data()[:300]
    assert response.get_json()["error"]["field"] == "recipients"
    _sent_nothing(service)


def test_a_json_null_is_a_missing_field_and_a_number_its_digits(client, auth):
    recipients = [{"number": "0612345678", "p": None}, {"number": "0612345679", "p": 12.5}]
    body = {**CAMPAIGN, "recipients": recipients}
    answer = client.post("/api/campaigns?dry_run=1", json=body, headers=auth).get_json()
    assert answer["recipients"] == 1
    assert [(r["line"], r["reason"]) for r in answer["rejections"]] == [(1, "missing_field")]


# The property: campaigns in any form (JSON, CSV body, multipart), carrying hostile values
# in any place, get an answer under 500, and nothing with a NUL or a Python repr is sent.
cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["A\x00B", "\r", "\r\n", '"', ";", ",", "\ufeff", "\ud800", "=1+2", ""]),
)
json_cells = st.one_of(cells, st.none(), st.booleans(), st.integers(), st.floats(), st.just({}))


def test_hostile_campaigns_never_get_a_500(client, auth, service):
    @hyp_settings(
        max_examples=int(os.environ.get("SMSREPLY_FAULT_EXAMPLES", "150")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        kind=st.sampled_from(["json", "csv", "multipart"]),
        name=cells,
        message=st.one_of(cells, st.just("Bonjour {p}"), st.just("Bonjour {p}").map(str.upper)),
        send_at=st.one_of(
            st.none(), cells, st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00"])
        ),
        rows=st.lists(
            st.tuples(st.sampled_from(["0612345678", "0612345679", "x"]), json_cells), max_size=4
        ),
        line_end=st.sampled_from(["\n", "\r", "\r\n"]),
    )
    def hostile(kind, name, message, send_at, rows, line_end):
        draft = {"name": name, "message": message}
        if send_at is not None:
            draft["send_at"] = send_at
        if kind == "json":
            recipients = [{"numero": number, "p": value} for number, value in rows]
            text = json.dumps({**draft, "recipients": recipients})
            response = client.post(
                "/api/campaigns", data=text, content_type="application/json", headers=auth
            )
        else:
            cells = [(number, v if isinstance(v, str) else "") for number, v in rows]
            lines = ["numero;p"] + [f"{number};{value}" for number, value in cells]
            body = line_end.join(lines).encode("utf-8", "surrogatepass")
            if kind == "csv":
                query = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in draft.items()})
                response = client.post(
                    "/api/campaigns?" + query, data=body, content_type="text/csv", headers=auth
                )
            else:
                form = {k: v.encode("utf-8", "surrogatepass") for k, v in draft.items()}
                response = _upload(client, auth, body, form)
        assert response.status_code < 500, (kind, response.get_data()[:300])

    hostile()
    for _ in range(5):
        service.drain()
    texts = [
        row["message"] for row in service.store.query("SELECT message FROM campaign_recipients")
    ]
    texts += [row["message"] for row in service.store.list_outbox(1000)]
    for text in texts:
        assert "\x00" not in text and "None" not in text and "False" not in text


def test_a_nul_in_reply_options_given_to_the_cli_is_refused(run, tmp_path):  # noqa: F811
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"action": "text", "text": "Merci\u0000"}))
    result = run("options", "set", "--from-json", str(options), ok=False)
    assert result.exit_code == 1 and "NUL character" in result.output
    assert json.loads(run("options", "show", "--json").output)["action"] == "none"
