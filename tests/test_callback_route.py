"""The callbacks' own WSGI app (``smsreply/web/callbacks.py``) answers as the Flask app
answers every other route: JSON errors with the right status and protocol headers, the
security headers, and the route (never the token) for the access log — the same error
answered alike by both (``errors.error_answer``, ``headers.add_headers``)."""

import sqlite3

import pytest
from werkzeug.exceptions import NotFound

from smsreply.accounts.credentials import ensure_callback_token, new_api_key
from smsreply.settings import load_settings
from smsreply.web import create_app
from tests.conftest import ON_POSTGRES

FORM = {"shortcode": "38000", "tag": "", "id": "r1", "senderid": "+33612345678", "message": "OUI"}
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def error(response) -> tuple[int, str]:
    assert response.mimetype == "application/json"
    return response.status_code, response.get_json()["error"]["code"]


def test_an_answer_carries_the_security_headers_and_the_route(client, callback_url):
    response = client.post(callback_url, data=FORM)
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert {name: response.headers[name] for name in SECURITY} == SECURITY
    assert response.headers["X-SMSReply-Route"] == "/callbacks/<provider>/<token>"
    assert response.headers["Content-Length"] == str(len(response.data))
    report = client.post(callback_url + "/dlr", data={"id": "nope", "dlr": "1"})
    assert report.headers["X-SMSReply-Route"] == "/callbacks/<provider>/<token>/dlr"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_another_method_is_a_405_naming_the_allowed_ones(client, callback_url, method):
    response = client.open(callback_url, method=method, data=FORM)
    assert error(response) == (405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert response.headers["X-SMSReply-Route"] == "/callbacks/<provider>/<token>"


@pytest.mark.parametrize("suffix", ["/", "/dlr/", "/other", "/dlr/more"])
def test_paths_beside_the_routes_are_404(client, callback_url, suffix):
    response = client.post(callback_url + suffix, data=FORM)
    assert error(response) == (404, "not_found")
    assert response.headers["X-SMSReply-Route"] == "-"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_token_and_provider(client, callback_url):
    assert error(client.post("/callbacks/ovh/nope", data=FORM)) == (403, "forbidden")
    token = callback_url.rsplit("/", 1)[1]
    assert error(client.post(f"/callbacks/nobody/{token}", data=FORM)) == (404, "not_found")


def test_a_body_over_the_limit_is_a_413_saying_the_limit(client, callback_url, settings):
    limit = settings["server.max_body_bytes"]
    response = client.post(callback_url, data={**FORM, "message": "x" * limit})
    assert error(response) == (413, "too_large")
    assert str(limit) in response.get_json()["error"]["message"]


def test_head_answers_without_a_body(client, callback_url):
    response = client.head(callback_url + "?id=h1&senderid=%2B33612345678&message=OUI")
    assert response.status_code == 200 and response.data == b""
    assert int(response.headers["Content-Length"]) > 0


def test_other_paths_still_reach_the_flask_app(client):
    assert client.get("/api/health").status_code == 200
    assert error(client.get("/callbacks")) == (404, "not_found")


# -- the same error, answered by the callbacks' app and by a Flask route ----------------


def same_answer(callback, flask, same_message: bool = True) -> dict:
    """The two answers alike: status, JSON document, security headers; the error."""
    assert callback.status_code == flask.status_code
    assert callback.mimetype == flask.mimetype == "application/json"
    errors = [response.get_json()["error"] for response in (callback, flask)]
    assert set(errors[0]) == set(errors[1]) == {"code", "message"}
    if not same_message:
        errors = [{**error, "message": "…"} for error in errors]
    assert errors[0] == errors[1]
    for response in (callback, flask):
        assert {name: response.headers.get(name) for name in SECURITY} == SECURITY
        assert response.headers["Content-Length"] == str(len(response.data))
    return errors[0]


def test_a_405_is_answered_alike_with_allow(client, callback_url):
    callback = client.put(callback_url, data=FORM)
    flask = client.put("/api/health")
    assert same_answer(callback, flask)["code"] == "method_not_allowed"
    assert "GET" in callback.headers["Allow"] and "GET" in flask.headers["Allow"]


def test_a_404_is_answered_alike(client, callback_url):
    assert same_answer(client.post(callback_url + "/other"), client.get("/api/nope")) == {
        "code": "not_found",
        "message": NotFound.description,
    }


def test_a_413_is_answered_alike(client, callback_url, auth, settings):
    big = "x" * settings["server.max_body_bytes"]
    callback = client.post(callback_url, data={**FORM, "message": big})
    flask = client.post(
        "/api/messages", json={"number": "0612345678", "message": big}, headers=auth
    )
    error = same_answer(callback, flask)
    assert (
        error["code"] == "too_large" and str(settings["server.max_body_bytes"]) in error["message"]
    )


def test_a_400_is_answered_alike(client, callback_url, auth):
    """A body that ends before its Content-Length (``body.CompleteBody``)."""
    cut = {"data": b"id=r1&message=OUI", "environ_overrides": {"CONTENT_LENGTH": "100"}}
    form = {"content_type": "application/x-www-form-urlencoded"}
    callback = client.post(callback_url, **cut, **form)
    flask = client.post("/api/messages", **cut, **form, headers=auth)
    error = same_answer(callback, flask)
    assert error["code"] == "bad_request" and "ended after 17 of the 100 bytes" in error["message"]


def test_a_503_is_answered_alike(request, tmp_path):
    """The database cannot be written (SQLite: locked by another writer past the busy
    timeout; PostgreSQL: the database gone): the callback and an API route both say so."""
    overrides = {"database.path": str(tmp_path / "sms.db"), "database.busy_timeout": 0.2}
    if ON_POSTGRES:
        cluster = request.getfixturevalue("postgres_cluster")
        overrides["database.url"] = cluster.create_database("gone")
    app = create_app(load_settings(None, env={}, overrides=overrides))
    service = app.extensions["smsreply"]
    token, key = ensure_callback_token(service.store), new_api_key(service.store)
    service.add_credits(10)  # so that sending is refused by the database alone
    service.store.close()
    if ON_POSTGRES:
        cluster.drop_database("gone")  # its connections closed, then gone
    else:
        writer = sqlite3.connect(tmp_path / "sms.db", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        client = app.test_client()
        callback = client.post(f"/callbacks/ovh/{token}", data=FORM)
        message = {"to": "0612345678", "message": "Bonjour"}
        flask = client.post(
            "/api/messages", json=message, headers={"Authorization": f"Bearer {key}"}
        )
        error = same_answer(callback, flask, same_message=False)
        assert error["code"] == "storage_unavailable"
        for answer in (callback, flask):
            assert answer.get_json()["error"]["message"].startswith("the database cannot be")
    finally:
        service.store.close()
        if not ON_POSTGRES:
            writer.close()


def test_a_header_an_answer_sets_itself_is_kept(client):
    """The favicon is cached a day: its own Cache-Control stays, the others are added."""
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and "max-age=86400" in icon.headers["Cache-Control"]
    assert icon.headers.getlist("Cache-Control") == [icon.headers["Cache-Control"]]
    assert icon.headers["X-Frame-Options"] == "DENY"
    assert icon.headers["X-SMSReply-Route"] == "/favicon.ico"
