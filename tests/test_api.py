"""The JSON API: authentication, sending, errors as JSON with precise 4xx."""

import pytest


def send(client, auth, **body):
    return client.post("/api/messages", json=body, headers=auth)


def test_api_needs_the_bearer_key(client, auth):
    assert client.get("/api/credits").status_code == 401
    wrong = client.get("/api/credits", headers={"Authorization": "Bearer sk_wrong"})
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/credits", headers=auth).status_code == 200


def test_a_revoked_key_says_so(client, auth, service):
    from smsreply.accounts.credentials import new_api_key

    old = auth
    new = {"Authorization": f"Bearer {new_api_key(service.store)}"}
    revoked = client.get("/api/credits", headers=old)
    assert revoked.status_code == 401
    assert "unknown or revoked API key" in revoked.get_json()["error"]["message"]
    assert "invalid_token" in revoked.headers["WWW-Authenticate"]
    missing = client.get("/api/credits")
    assert "Authorization: Bearer <key>" in missing.get_json()["error"]["message"]
    assert client.get("/api/credits", headers=new).status_code == 200


def test_send_returns_the_conversation(client, auth, service):
    response = send(
        client, auth, to="06 12 34 56 78", message="RDV demain 10h. OUI ou NON ?", tag="rdv-42"
    )
    assert response.status_code == 201
    data = response.get_json()
    assert data["to"] == "+33612345678"
    assert len(data["shortcode"]) == 5 and data["shortcode"].isdigit()
    assert data["tag"] == "rdv-42"
    assert (data["segments"], data["credits"], data["encoding"]) == (1, 1, "gsm7")
    assert data["replies_until"] == "2026-11-27T09:00:00.000000+00:00"
    assert service.store.balance() == 99
    service.drain()
    outbox = client.get("/api/outbox", headers=auth).get_json()["outbox"]
    assert [item["message"] for item in outbox] == ["RDV demain 10h. OUI ou NON ?"]
    assert outbox[0]["shortcode"] == data["shortcode"]


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ({"to": "01 23 45 67 89", "message": "x"}, 422, "to", "landline"),
        ({"to": "+447911123456", "message": "x"}, 422, "to", "not French"),
        ({"to": "0612345678", "message": "voir www.exemple.fr"}, 422, "message", "URL"),
        ({"to": "0612345678", "message": "a" * 919}, 422, "message", "maximum is 6"),
        ({"to": "0612345678", "message": "  "}, 422, "message", "non-empty"),
        ({"to": "0612345678"}, 422, "message", "missing field"),
        ({"to": 612345678, "message": "x"}, 422, "to", "must be a string"),
        ({"to": "0612345678", "message": "x", "sender": "ME"}, 422, "sender", "unknown field"),
        ({"to": "0612345678", "message": "x", "tag": "a" * 65}, 422, "tag", "at most 64"),
    ],
)
def test_invalid_messages_are_refused_precisely(client, auth, body, status, field, words):
    response = send(client, auth, **body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["field"] == field
    assert words in error["message"]


def test_malformed_bodies_get_4xx_json(client, auth):
    cases = [
        (b'{"to": ', "application/json", 400, "malformed JSON"),
        (b'["a"]', "application/json", 422, "JSON object"),
        (b'{"to": "\xff"}', "application/json", 400, "UTF-8"),
        (b"to=1", "application/x-www-form-urlencoded", 415, "JSON"),
        (b'{"message": "' + b"a" * 70000 + b'"}', "application/json", 413, "larger"),
    ]
    for body, content_type, status, words in cases:
        response = client.post(
            "/api/messages", data=body, headers={**auth, "Content-Type": content_type}
        )
        assert response.status_code == status, body[:20]
        assert words in response.get_json()["error"]["message"]


def test_unknown_route_and_method_are_json(client, auth):
    assert client.get("/api/nope", headers=auth).get_json()["error"]["code"] == "not_found"
    assert client.delete("/api/messages", headers=auth).status_code == 405


def test_insufficient_credits_is_402_and_nothing_is_debited(client, auth, service):
    service.store.change_credits(-99, "t", "test")  # leaves 1
    response = send(client, auth, to="0612345678", message="ç" * 71)  # 2 parts
    assert response.status_code == 402
    assert "needs 2" in response.get_json()["error"]["message"]
    assert service.store.balance() == 1
    assert service.store.query("SELECT count(*) AS n FROM conversations")[0]["n"] == 0


def test_reply_options_roundtrip_and_validation(client, auth):
    assert client.get("/api/reply-options", headers=auth).get_json() == {"action": "none"}
    ok = client.put("/api/reply-options", json={"action": "text", "text": "Merci"}, headers=auth)
    assert ok.status_code == 200 and ok.get_json() == {"action": "text", "text": "Merci"}
    for body, words in [
        ({"action": "text"}, "'text' is required"),
        ({"action": "telepathy"}, "unknown action"),
        ({"action": "text", "text": "x", "colour": 1}, "unknown option"),
        ({"action": "text", "text": "see www.x.fr"}, "URL"),
        ({"action": "handler", "handler": "quiz.py\x00"}, "NUL"),  # was a 500
    ]:
        response = client.put("/api/reply-options", json=body, headers=auth)
        assert response.status_code == 422
        assert words in response.get_json()["error"]["message"]
    assert client.get("/api/reply-options", headers=auth).get_json()["text"] == "Merci"


def test_credits_add_and_ledger(client, auth):
    response = client.post("/api/credits", json={"amount": 50}, headers=auth)
    assert response.status_code == 201 and response.get_json()["balance"] == 150
    for bad in ({"amount": -1}, {"amount": 1.5}, {"amount": "5"}, {}):
        assert client.post("/api/credits", json=bad, headers=auth).status_code == 422
    ledger = client.get("/api/credits", headers=auth).get_json()["ledger"]
    assert ledger[0]["delta"] == 50 and ledger[0]["balance"] == 150


def test_conversations_filter_and_page(client, auth, service, clock):
    for number in ("0612345678", "0612345679", "0612345678"):
        send(client, auth, to=number, message="Bonjour", tag="t" + number[-1])
    clock.advance(hours=49)
    send(client, auth, to="0612345679", message="Encore")
    get = lambda query: client.get("/api/conversations" + query, headers=auth).get_json()  # noqa: E731
    assert get("")["total"] == 4
    assert get("?number=%2B33612345678")["total"] == 2
    assert get("?number=06%2012%2034%2056%2078")["total"] == 2
    assert get("?tag=t9")["total"] == 1
    assert get("?status=open")["total"] == 1
    assert get("?status=closed")["total"] == 3
    page = get("?per_page=3&page=2")
    assert page["total"] == 4 and len(page["conversations"]) == 1
    bad = client.get("/api/conversations?status=maybe", headers=auth)
    assert bad.status_code == 422
    assert client.get("/api/conversations?page=0", headers=auth).status_code == 422
    assert client.get("/api/conversations/999", headers=auth).status_code == 404


def test_failed_replies_are_found_through_the_api(client, auth, service, tmp_path):
    from tests.support.actions import Phone, write_script

    write_script(tmp_path / "cgi-bin", "crash.sh", "#!/bin/sh\necho boom >&2\nexit 2\n")
    service.set_reply_options({"action": "cgi", "script": "crash.sh"})
    phone = Phone(client.application, service)
    phone.reply("OUI")
    service.set_reply_options({"action": "text", "text": "Merci"})
    phone.reply("NON")
    failed = client.get("/api/replies?result=failed", headers=auth).get_json()["replies"]
    assert [(r["message"], r["result"]) for r in failed] == [("OUI", "failed")]
    assert failed[0]["result_reason"] == "exit: exit status 2: boom"
    every = client.get("/api/replies", headers=auth).get_json()["replies"]
    assert [r["result"] for r in every] == ["answered", "failed"]
    bad = client.get("/api/replies?result=broken", headers=auth)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "result"
