"""Keyword rules: first word, case- and accent-insensitive, aliases, regex, then the default."""

import pytest

from tests.support.actions import post_reply

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
def answered(app, service):
    service.set_reply_options(OPTIONS)
    conversation = service.send_message("0612345678", "Venez-vous demain ?")
    counter = iter(range(1000))

    def reply(text):
        response = post_reply(app, conversation, text, f"r{next(counter)}")
        reply_id = response.get_json()["reply_id"]
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


STICKY = {
    "action": "text",
    "text": "Répondez QUIZ ou AIDE.",
    "rules": [
        {"keyword": "QUIZ", "action": "text", "text": "Question ?"},
        {"keyword": "AIDE", "action": "text", "text": "Aide.", "sticky": False},
    ],
}


def conversation_replies(app, service, texts, conversation=None):
    conversation = conversation or service.send_message("0612345677", "Jouez !")
    answers = []
    for text in texts:
        provider_id = f"c{conversation['id']}-{conversation['reply_count']}-{len(answers)}-{text}"
        response = post_reply(app, conversation, text, provider_id)
        reply_id = response.get_json()["reply_id"]
        service.drain()
        row = service.store.get("replies", reply_id)
        answers.append(service.store.get("outgoing", row["answer_id"])["message"])
    return answers


def test_a_rule_keeps_its_conversation(app, service):
    service.set_reply_options(STICKY)
    answers = conversation_replies(app, service, ["QUIZ", "canberra", "AIDE"])
    assert answers == ["Question ?", "Question ?", "Question ?"]
    # another conversation is routed on its own words
    other = service.send_message("0612345676", "Jouez !")
    assert conversation_replies(app, service, ["bof"], other) == ["Répondez QUIZ ou AIDE."]


def test_a_rule_with_sticky_false_does_not(app, service):
    service.set_reply_options(STICKY)
    answers = conversation_replies(app, service, ["AIDE", "bof", "QUIZ"])
    assert answers == ["Aide.", "Répondez QUIZ ou AIDE.", "Question ?"]


def test_a_rule_removed_from_the_options_releases_its_conversation(app, service):
    service.set_reply_options(STICKY)
    conversation = service.send_message("0612345675", "Jouez !")
    assert conversation_replies(app, service, ["QUIZ"], conversation) == ["Question ?"]
    service.set_reply_options({"action": "text", "text": "Fini."})
    answers = conversation_replies(app, service, ["canberra"], conversation)
    assert answers == ["Fini."]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_sticky_must_be_a_boolean(service, value):
    from smsreply.errors import ValidationError

    rule = {"keyword": "QUIZ", "action": "none", "sticky": value}
    with pytest.raises(ValidationError, match="'sticky' must be true or false"):
        service.set_reply_options({"action": "none", "rules": [rule]})
