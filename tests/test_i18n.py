"""The manager's catalogue: every key in both languages, every key used exists."""

import re
import string
from pathlib import Path

import pytest
from werkzeug.datastructures import LanguageAccept

from smsreply.actions import ACTIONS
from smsreply.receiving import REASONS
from smsreply.web import i18n

ROOT = Path(__file__).resolve().parent.parent / "smsreply"
SOURCES = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "web" / "manager").glob("*.py")]
# Keys built at run time from a prefix and a value, with the values they take.
DYNAMIC = {
    "options.action.": list(ACTIONS),
    "options.match.": ["keyword", "regex"],
    "options.media.": ["email", "sms"],
    "reason.": list(REASONS),
    "reply.": ["pending", "handled", "rejected"],
    "conversation.": ["open", "closed"],
    "encoding.": ["gsm7", "ucs2"],
    "sms.": ["queued", "sending", "sent", "failed", "no_credit"],
    "delivery.": ["delivered", "pending", "failed"],
}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.MESSAGES))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    entry = i18n.MESSAGES[key]
    assert set(entry) == set(i18n.LANGUAGES), key
    assert all(text.strip() for text in entry.values()), key
    assert placeholders(entry["fr"]) == placeholders(entry["en"]), key


def used_keys() -> set[str]:
    keys = set()
    for source in SOURCES:
        text = source.read_text()
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+[a-z0-9_])["']""", text))
        keys |= set(re.findall(r"""\(\s*"[a-z._]+",\s*"([a-z]+\.[a-z_]+)"\s*\)""", text))
    return keys


def test_every_key_used_in_templates_and_views_exists():
    missing = sorted(used_keys() - set(i18n.MESSAGES))
    assert not missing
    assert {"nav.compose", "compose.sent", "login.failed"} <= used_keys()  # the scan works


def test_every_runtime_key_exists():
    for prefix, values in DYNAMIC.items():
        for value in values:
            assert prefix + value in i18n.MESSAGES, prefix + value


def test_translate_fills_placeholders_and_falls_back():
    assert i18n.translate("compose.sent", "fr", id=3) == "Message envoyé (conversation n° 3)."
    assert i18n.translate("compose.sent", "en", id=3) == "Message sent (conversation #3)."
    assert i18n.translate("reply.later_status", "fr", default="later") == "later"
    assert i18n.translate("no.such.key", "en") == "no.such.key"


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-CA", "fr"),
        (None, "de-DE,en;q=0.5", "en"),
        (None, "", "fr"),
        ("en", "fr-FR", "en"),
        ("xx", "en", "en"),
    ],
)
def test_language_choice(cookie, header, expected):
    accept = LanguageAccept(
        [(part.split(";")[0], 1.0 - index / 10) for index, part in enumerate(header.split(","))]
        if header
        else []
    )
    assert i18n.choose(cookie, accept) == expected
