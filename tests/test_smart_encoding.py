"""Smart encoding: typographic characters sent as GSM-7 when that is cheaper.

The table and the rule (only when the whole text becomes GSM-7 in no more parts), then
where it applies: compose (on by default in the manager, off in the API unless asked),
the predefined text and script answers (off unless the reply options say so).
"""

import pytest

from smsreply.errors import ValidationError
from smsreply.text.segments import count_segments, ucs2_characters
from smsreply.text.smart_encoding import REPLACEMENTS, replace_typographic, smart_encode
from tests.support.actions import ROOT, copy_examples

TYPOGRAPHIC = "« Bonjour » – l’équipe vous répond… “demain” à 10\u202fh\u00a0!"


def test_every_replacement_is_gsm7_and_every_replaced_character_is_not():
    for char, plain in REPLACEMENTS.items():
        assert ucs2_characters(char) == [char], f"U+{ord(char):04X} is already GSM-7"
        assert ucs2_characters(plain) == [], f"U+{ord(char):04X} → {plain!r}"


def test_the_table_is_documented():
    documented = (ROOT / "docs" / "manager.md").read_text()
    missing = [
        f"U+{ord(char):04X}" for char in REPLACEMENTS if f"U+{ord(char):04X}" not in documented
    ]
    assert not missing


def test_a_typographic_french_sentence_becomes_gsm7_and_halves_its_cost():
    assert count_segments(TYPOGRAPHIC).encoding == "ucs2"
    sent = smart_encode(TYPOGRAPHIC)
    assert sent == '" Bonjour " - l\'équipe vous répond... "demain" à 10 h !'
    assert count_segments(sent).encoding == "gsm7"
    long = TYPOGRAPHIC * 3  # 3 UCS-2 parts → 2 GSM-7 parts
    assert (count_segments(long).parts, count_segments(smart_encode(long)).parts) == (3, 2)


@pytest.mark.parametrize(
    "text",
    [
        "Fête – 20 h",  # « ê » is not GSM-7: replacing the dash would save nothing
        "Bonjour 🙂 — à demain",
        "Déjà GSM-7 : rien à faire.",
        "",
    ],
)
def test_texts_that_stay_ucs2_or_are_already_gsm7_are_sent_as_typed(text):
    assert smart_encode(text) == text


def test_never_more_parts_than_as_typed():
    text = "…" * 70  # 1 UCS-2 part; as "..." it would be 210 septets, 2 parts
    assert replace_typographic(text) == "..." * 70
    assert smart_encode(text) == text


def test_ucs2_characters_name_what_forces_unicode_once_each_in_order():
    assert ucs2_characters("Fête – fête") == ["ê", "–"]
    assert ucs2_characters("Prix : 5 € [TTC]") == []


# -- where it applies -------------------------------------------------------------------


def test_api_sends_as_typed_unless_asked(client, auth, service):
    body = {"to": "0612345678", "message": "C’est noté…"}
    typed = client.post("/api/messages", json=body, headers=auth).get_json()
    assert (typed["message"], typed["encoding"]) == ("C’est noté…", "ucs2")
    smart = client.post(
        "/api/messages", json=dict(body, smart_encoding=True), headers=auth
    ).get_json()
    assert (smart["message"], smart["encoding"]) == ("C'est noté...", "gsm7")
    refused = client.post("/api/messages", json=dict(body, smart_encoding="yes"), headers=auth)
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "smart_encoding"


def reply_and_answer(service, client, callback_url, phone_message: str) -> dict:
    """Send a message, reply to it through the real callback, return the answer sent."""
    conversation = service.send_message("0612345678", "Une question ?")
    service.drain()
    fields = {"shortcode": conversation["shortcode"], "tag": "", "id": "ovh-1"}
    fields |= {"senderid": "+33612345678", "message": phone_message}
    assert client.post(callback_url, data=fields).status_code == 200
    service.drain()
    return service.store.list_outbox(1)[0]


@pytest.mark.parametrize(("smart", "expected"), [(False, "C’est noté…"), (True, "C'est noté...")])
def test_the_predefined_text_is_smart_encoded_only_when_asked(
    service, client, callback_url, smart, expected
):
    options = {"action": "text", "text": "C’est noté…"}
    service.set_reply_options(dict(options, smart_encoding=True) if smart else options)
    assert ("smart_encoding" in service.reply_options()) is smart
    assert reply_and_answer(service, client, callback_url, "OUI")["message"] == expected


@pytest.mark.parametrize("smart", [False, True])
def test_a_scripts_answer_is_sent_as_written_by_default(
    service, client, callback_url, tmp_path, smart
):
    copy_examples(tmp_path)
    options = {"action": "cgi", "script": "echo.sh"}
    service.set_reply_options(dict(options, smart_encoding=True) if smart else options)
    answer = reply_and_answer(service, client, callback_url, "l’heure")
    assert answer["message"] == (
        "Vous avez écrit : l'heure" if smart else "Vous avez écrit : l’heure"
    )
    assert count_segments(answer["message"]).encoding == ("gsm7" if smart else "ucs2")


def test_smart_encoding_must_be_a_boolean(service):
    with pytest.raises(ValidationError) as caught:
        service.set_reply_options({"action": "text", "text": "x", "smart_encoding": 1})
    assert caught.value.field == "smart_encoding"
    with pytest.raises(ValidationError):  # "none" sends nothing: nothing to encode
        service.set_reply_options({"action": "none", "smart_encoding": True})
