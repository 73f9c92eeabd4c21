"""No 500 from input: every hostile value found by hand gets a precise 4xx (issue 10, item 10).

Each case once answered 500: a CRLF in a redirect target, JSON nested deeper than the
parser's recursion, a lone surrogate, a 5,000-digit integer, ids past SQLite's 64 bits, a
page number in superscript digits. The property test in ``test_faults.py`` looks for more.
"""

import pytest

from smsreply import users

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
