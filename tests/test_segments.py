"""Segments and credits are counted as OVH counts them; URLs are found."""

import pytest

from smsreply.segments import count_segments, find_url


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),  # extension characters count 2
        ("[" * 81, "gsm7", 162, 2),
        ("ça va ?", "ucs2", 7, 1),  # Ç is in GSM 03.38, ç is not
        ("Ça va ?", "gsm7", 7, 1),
        ("ç" * 70, "ucs2", 70, 1),
        ("ç" * 71, "ucs2", 71, 2),
        ("ç" * 134, "ucs2", 134, 2),
        ("ç" * 135, "ucs2", 135, 3),
        ("😀" * 35, "ucs2", 70, 1),  # an emoji is two UTF-16 units
        ("é à ù è ì ò É", "gsm7", 13, 1),
    ],
)
def test_counts(text, encoding, units, parts):
    segments = count_segments(text)
    assert (segments.encoding, segments.units, segments.parts) == (encoding, units, parts)
    assert segments.credits == parts


@pytest.mark.parametrize(
    "text",
    [
        "voir https://exemple.fr/rdv",
        "http://x.io",
        "www.exemple.com",
        "exemple.fr/rdv",
        "RDV sur monsite.com",
    ],
)
def test_urls_are_found(text):
    assert find_url(text)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("Voir https://exemple.fr, merci", "https://exemple.fr"),
        ("RDV sur www.exemple.fr.", "www.exemple.fr"),
        ("(voir exemple.fr/rdv)", "exemple.fr/rdv"),
        ("https://fr.wikipedia.org/wiki/Foo_(bar)!", "https://fr.wikipedia.org/wiki/Foo_(bar)"),
    ],
)
def test_the_url_named_leaves_the_sentence_punctuation_out(text, url):
    assert find_url(text) == url


@pytest.mark.parametrize("text", ["RDV le 12.05 à 10h.", "OK. Merci.", "Prix: 3.50€"])
def test_plain_text_has_no_url(text):
    assert find_url(text) is None
