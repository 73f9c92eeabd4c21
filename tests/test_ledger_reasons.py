"""Ledger reasons: stored as a code with parameters, read back, old English sentences too."""

import pytest

from smsreply.accounts.ledger_reasons import CODES, parse, reason, top_up


def test_codes_with_parameters_are_read_back():
    stored = reason("campaign_reserved", campaign=6)
    assert stored == 'campaign_reserved {"campaign": 6}'
    assert parse(stored) == ("campaign_reserved", {"campaign": 6})
    assert parse("answer") == ("answer", {})
    assert all(parse(reason(code)) == (code, {}) for code in CODES)
    note = top_up("commande 17 {urgent}", user="alice")
    assert parse(note) == ("top_up", {"user": "alice", "note": "commande 17 {urgent}"})
    assert top_up("  ") == "top_up"


@pytest.mark.parametrize(
    ("old", "code", "params"),
    [
        ("reply received", "reply_received", {}),
        ("refund: SMS not sent", "refund_unsent", {}),
        ("campaign #6 reserved", "campaign_reserved", {"campaign": 6}),
        ("refund: campaign #6 cancelled", "campaign_cancelled", {"campaign": 6}),
        ("refund: campaign #6 recipient replied STOP", "campaign_stop", {"campaign": 6}),
        ("initial credits", "initial_credits", {}),
        ("top-up", "top_up", {}),
        ("top-up by alice", "top_up", {"user": "alice"}),
    ],
)
def test_the_english_of_older_versions_is_read_too(old, code, params):
    assert parse(old) == (code, params)


def test_free_text_and_unknown_codes_stay_text():
    assert parse("order 17") is None
    assert parse("bonus {}") is None  # not a code
    assert parse('answer {"oops"') is None
    with pytest.raises(ValueError):
        reason("bonus")
