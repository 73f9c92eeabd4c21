"""Keyword rules: first word, case- and accent-insensitive, aliases, regex, then the default."""

import pytest

OPTIONS = {
    "action": "text",
    "text": "Répondez OUI ou NON.",
    "rules": [
        {"keyword": "OUI", "aliases": ["YES", "O"], "action": "text", "text": "Confirmé."},
        {"keyword": "non", "action": "text", "text": "Annulé."},
        {"regex": r"^rdv\s+\d+", "action": "none"},
    ],
}


@pytest.fixture
def answered(client, callback_url, service):
    service.set_reply_options(OPTIONS)
    conversation = service.send_message("0612345678", "Venez-vous demain ?")
    counter = iter(range(1000))

    def reply(text):
        form = {
            "shortcode": conversation["shortcode"],
            "tag": "",
            "id": f"r{next(counter)}",
            "senderid": "+33612345678",
            "message": text,
        }
        reply_id = client.post(callback_url, data=form).get_json()["reply_id"]
        service.drain()
        row = service.store.get("replies", reply_id)
        return (
            service.store.get("outgoing", row["answer_id"])["message"] if row["answer_id"] else None
        )

    return reply


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("oui", "Confirmé."),
        ("Oui !", "Confirmé."),
        ("OUÍ merci", "Confirmé."),
        ("yes", "Confirmé."),
        ("o", "Confirmé."),
        ("Non.", "Annulé."),
        ("NON", "Annulé."),
        ("RDV 12 svp", None),
        ("peut-être", "Répondez OUI ou NON."),
        ("ouille", "Répondez OUI ou NON."),
    ],
)
def test_rules_route_replies(answered, text, answer):
    assert answered(text) == answer


def test_options_are_stored_normalised(service):
    saved = service.set_reply_options(OPTIONS)
    assert saved["rules"][0] == {
        "action": "text",
        "text": "Confirmé.",
        "keyword": "OUI",
        "aliases": ["YES", "O"],
    }


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ([{"action": "none"}], "either 'keyword' or 'regex'"),
        ([{"keyword": "a b", "action": "none"}], "one word"),
        ([{"regex": "(", "action": "none"}], "invalid regex"),
        ([{"keyword": "OUI", "action": "text"}], "rules[0]: 'text' is required"),
        ([{"keyword": "OUI", "action": "nope"}], "unknown action"),
        ("OUI", "must be a list"),
    ],
)
def test_bad_rules_are_explained(client, auth, rules, words):
    response = client.put(
        "/api/reply-options", json={"action": "none", "rules": rules}, headers=auth
    )
    assert response.status_code == 422
    assert words in response.get_json()["error"]["message"]
