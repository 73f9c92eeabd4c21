"""The callbacks' own WSGI app (``smsreply/web/callbacks.py``) answers as the Flask app
answers every other route: JSON errors with the right status and protocol headers, the
security headers, and the route (never the token) for the access log."""

import pytest

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
