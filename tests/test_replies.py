"""Replies through the OVH-shaped callback: storing, matching, the window, credits, answers."""

import pytest

from tests.support.actions import post_reply, reply_form

NUMBER = "+33612345678"


@pytest.fixture
def conversation(service):
    service.set_reply_options({"action": "text", "text": "Merci, c'est noté."})
    conversation = service.send_message("06 12 34 56 78", "RDV demain 10h. OUI ou NON ?", "rdv-42")
    service.drain()
    return conversation


def outbox_messages(service):
    return [row["message"] for row in reversed(service.store.list_outbox(50))]


def test_reply_is_matched_answered_and_debited(app, service, conversation):
    response = post_reply(app, conversation)
    assert response.status_code == 200
    assert response.get_json()["status"] == "pending"
    assert service.store.balance() == 98  # message + reply
    service.drain()
    assert outbox_messages(service) == ["RDV demain 10h. OUI ou NON ?", "Merci, c'est noté."]
    assert service.store.list_outbox(1)[0]["shortcode"] == conversation["shortcode"]
    assert service.store.balance() == 97  # + the answer
    reply = service.store.get("replies", response.get_json()["reply_id"])
    assert (reply["status"], reply["action"], reply["reply_number"]) == ("handled", "text", 1)


def test_sender_in_any_french_form_matches(app, service, conversation):
    response = post_reply(app, conversation, senderid="0033612345678")
    assert response.get_json()["status"] == "pending"


def test_get_query_works_like_post(client, callback_url, service, conversation):
    query = (
        f"?shortcode={conversation['shortcode']}&id=q1&senderid=%2B33612345678"
        "&message=oui%20merci&tag="
    )
    response = client.get(callback_url + query)
    assert response.status_code == 200 and response.get_json()["status"] == "pending"


def test_duplicate_callback_has_one_effect(app, service, conversation):
    first = post_reply(app, conversation)
    second = post_reply(app, conversation)
    assert second.status_code == 200
    assert second.get_json()["duplicate"] is True
    assert second.get_json()["reply_id"] == first.get_json()["reply_id"]
    service.drain()
    assert outbox_messages(service).count("Merci, c'est noté.") == 1
    assert service.store.balance() == 97


def test_matching_by_echoed_tag_beats_shortcode(app, service, conversation):
    other = service.send_message(NUMBER, "Deuxième message")
    response = post_reply(app, conversation, shortcode="", tag=conversation["provider_tag"])
    reply = service.store.get("replies", response.get_json()["reply_id"])
    assert reply["conversation_id"] == conversation["id"] != other["id"]
    assert reply["shortcode"] == conversation["shortcode"]


def test_window_boundary(app, service, conversation, clock):
    clock.advance(hours=48, microseconds=-1)
    assert post_reply(app, conversation, id="a").get_json()["status"] == "pending"
    clock.advance(microseconds=1)
    late = post_reply(app, conversation, id="b").get_json()
    assert (late["status"], late["reason"]) == ("rejected", "late")
    service.drain()
    assert outbox_messages(service).count("Merci, c'est noté.") == 1


def test_window_is_configurable(tmp_path, clock, database_url):
    from smsreply.settings import load_settings
    from smsreply.web import create_app

    overrides = {
        "database.path": str(tmp_path / "w.db"),
        "database.url": database_url,
        "reply.window_hours": 1.0,
    }
    settings = load_settings(None, env={}, overrides=overrides)
    app = create_app(settings, clock=clock)
    service = app.extensions["smsreply"]
    service.add_credits(5)
    conversation = service.send_message(NUMBER, "Bonjour")
    assert conversation["expires_at"] == "2026-11-25T10:00:00.000000+00:00"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"senderid": "+33123456789"}, "not_french_mobile"),
        ({"senderid": "+33612345670"}, "unmatched"),
        ({"shortcode": "99999"}, "unmatched"),
    ],
)
def test_unusable_replies_are_stored_with_their_reason(app, service, conversation, fields, reason):
    response = post_reply(app, conversation, **fields)
    assert response.status_code == 200
    data = response.get_json()
    assert (data["status"], data["reason"]) == ("rejected", reason)
    service.drain()
    assert "Merci, c'est noté." not in outbox_messages(service)
    assert service.store.balance() == 99  # nothing debited for it


def test_wrong_or_missing_token_is_403(client, service, conversation):
    assert client.post("/callbacks/ovh/wrong", data=reply_form(conversation)).status_code == 403
    assert client.post("/callbacks/ovh/", data={}).status_code == 404
    assert service.store.query("SELECT count(*) AS n FROM replies")[0]["n"] == 0


@pytest.mark.parametrize(
    ("data", "content_type", "words"),
    [
        (b"shortcode=1&senderid=%2B33612345678&message=x", None, "'id' is missing"),
        (b"id=1&senderid=%2B33612345678&message=" + b"a" * 2001, None, "longer than"),
        (b'{"id": 1}', "application/json", "'senderid' is missing"),
        (b"<xml/>", "text/xml", "x-www-form-urlencoded or JSON"),
        (b"id=1&senderid=x&message=y&shortcode=12a", None, "digits"),
    ],
)
def test_malformed_callbacks_are_400(client, callback_url, data, content_type, words):
    content_type = content_type or "application/x-www-form-urlencoded"
    response = client.post(callback_url, data=data, content_type=content_type)
    assert response.status_code == 400
    assert words in response.get_json()["error"]["message"]


def test_answer_that_balance_cannot_cover_is_recorded(app, service, conversation):
    service.store.change_credits(-(service.store.balance() - 1), "t", "test")  # 1 left
    reply_id = post_reply(app, conversation).get_json()["reply_id"]
    service.drain()
    reply = service.store.get("replies", reply_id)
    answer = service.store.get("outgoing", reply["answer_id"])
    assert answer["status"] == "no_credit"
    assert service.store.balance() == 0
    assert "Merci, c'est noté." not in outbox_messages(service)


def test_reply_with_no_credit_left_is_stored_not_acted_on(app, service, conversation):
    service.store.change_credits(-service.store.balance(), "t", "test")
    data = post_reply(app, conversation).get_json()
    assert (data["status"], data["reason"]) == ("rejected", "insufficient_credits")


def test_conversation_detail_shows_replies_and_costs(
    app, client, service, auth, conversation, clock
):
    post_reply(app, conversation)
    clock.advance(hours=50)
    post_reply(app, conversation, id="late-1", message="trop tard")
    service.drain()
    detail = client.get(f"/api/conversations/{conversation['id']}", headers=auth).get_json()
    assert detail["status"] == "closed"
    assert detail["sms"]["status"] == "sent"
    first, late = detail["replies"]
    assert first["answer"]["message"] == "Merci, c'est noté."
    assert first["answer"]["status"] == "sent"
    assert late["reason"] == "late" and "window" in late["reason_text"]
    assert detail["credits_spent"] == 3
