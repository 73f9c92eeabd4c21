"""The reply options' one description (``smsreply/options/schema.py``, checked by
``options/checking.py``): what it accepts and refuses, where it says a problem is, and that the
OpenAPI document says the same."""

import pytest
from jsonschema import Draft202012Validator

from smsreply.errors import ValidationError
from smsreply.options.checking import parse
from smsreply.web.document import build_document

DOCUMENT = build_document()

GOOD = [
    {"action": "none"},
    {"action": "text", "text": "Merci", "smart_encoding": True},
    {"action": "cgi", "script": "echo.sh"},
    {"action": "handler", "handler": "counter.py"},
    {"action": "url", "url": "https://example.org/sms", "use_response": True},
    {
        "action": "none",
        "rules": [
            {"keyword": "OUI", "aliases": ["YES"], "action": "text", "text": "Noté"},
            {"regex": "^rdv", "action": "cgi", "script": "rdv.sh"},
        ],
        "notifications": [
            {"media": "email", "sender": "sms@example.fr", "target": "moi@example.fr"},
            {"media": "sms", "sender": "CABINET", "target": "+447911123456"},
        ],
    },
]
# Shapes a JSON Schema can see are wrong (the regex's syntax or a URL in a text cannot be).
BAD = [
    {},
    {"action": "telepathy"},
    {"action": "text"},
    {"action": "text", "text": "x", "colour": 1},
    {"action": "url", "url": "https://x", "use_response": "yes"},
    {"action": "none", "smart_encoding": True},
    {"action": "none", "rules": "OUI"},
    {"action": "none", "rules": [{"keyword": "OUI", "action": "text"}]},
    {"action": "none", "rules": [{"keyword": "OUI", "action": "nope"}]},
    {"action": "none", "notifications": [{"media": "fax", "sender": "a", "target": "b"}]},
    {"action": "none", "notifications": [{"media": "sms", "sender": "ME"}]},
    {"action": "none", "rules": [{"keyword": "x", "action": "none"}] * 51},
    {"action": "handler", "handler": "quiz.py\x00"},  # was a 500 (Schemathesis found it)
    {"action": "text", "text": "Merci\x00"},
]


def openapi_accepts(options) -> bool:
    schema = {**DOCUMENT, "$ref": "#/components/schemas/ReplyOptions"}
    return Draft202012Validator(schema).is_valid(options)


@pytest.mark.parametrize("options", GOOD)
def test_good_options_pass_both(options):
    parse(options)
    assert openapi_accepts(options)


@pytest.mark.parametrize("options", BAD)
def test_bad_shapes_fail_both(options):
    with pytest.raises(ValidationError):
        parse(options)
    assert not openapi_accepts(options)


def test_an_error_in_a_rule_says_which_rule_and_which_field():
    options = {"action": "none", "rules": [{"keyword": "A", "action": "none"}] * 2}
    options["rules"] = [*options["rules"], {"keyword": "C", "action": "text", "text": " "}]
    with pytest.raises(ValidationError) as caught:
        parse(options)
    error = caught.value
    assert (error.location, error.field, error.key) == (("rules", 2), "text", "required")
    assert error.message == "rules[2]: 'text' is required: a non-empty string"  # the API's


def test_notification_targets_come_out_in_e164():
    options = {
        "action": "none",
        "notifications": [{"media": "sms", "sender": "ME", "target": "0044 7911 123456"}],
    }
    assert parse(options).notifications[0].target == "+447911123456"
