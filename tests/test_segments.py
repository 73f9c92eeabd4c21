"""Segments and credits are counted as OVH counts them; URLs are found."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsreply.text.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments, find_url


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
        # a two-unit character never straddles two parts: it starts the next one whole
        ("a" * 152 + "€" + "a" * 152, "gsm7", 306, 3),
        ("a" * 151 + "€" + "a" * 153, "gsm7", 306, 2),
        ("a" * 152 + "€", "gsm7", 154, 1),
        ("a" * 160 + "€", "gsm7", 162, 2),
        ("ê" * 66 + "😀" + "ê" * 66, "ucs2", 134, 3),
        ("ê" * 65 + "😀" + "ê" * 67, "ucs2", 134, 2),
        ("😀" * 67, "ucs2", 134, 3),
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


def reference_parts(text: str) -> list[str]:
    """The actual parts a concatenating encoder sends: whole characters, each part full up
    to 153 septets (GSM-7) or 67 UTF-16 units (UCS-2), one part if it all fits in 160/70."""
    gsm7 = set(text) <= GSM7_BASIC | GSM7_EXTENSION

    def size(char: str) -> int:
        if gsm7:
            return 2 if char in GSM7_EXTENSION else 1
        return len(char.encode("utf-16-le")) // 2

    if sum(map(size, text)) <= (160 if gsm7 else 70):
        return [text]
    limit = 153 if gsm7 else 67
    parts, current = [], ""
    for char in text:
        if sum(map(size, current)) + size(char) > limit:
            parts.append(current)
            current = ""
        current += char
    parts.append(current)
    assert "".join(parts) == text
    assert all(sum(map(size, part)) <= limit for part in parts)
    return parts


# Texts that cross part boundaries with many two-unit characters: extension characters
# among GSM-7 ones, emoji among other Unicode.
_gsm7_text = st.text(
    alphabet=st.sampled_from("a€[{") | st.sampled_from(sorted(GSM7_BASIC)), max_size=1000
)
_ucs2_text = st.text(alphabet=st.sampled_from("êç😀🙂a€"), min_size=1, max_size=450)


@st.composite
def _wide_at_a_boundary(draw):
    """One-unit characters with a two-unit one placed on or near a part's last unit."""
    narrow, wide, per_part = draw(st.sampled_from([("a", "€", 153), ("ê", "😀", 67)]))
    before = draw(st.integers(1, 5)) * per_part + draw(st.integers(-3, 1))
    after = narrow * draw(st.integers(0, 3 * per_part))
    return narrow * before + wide + after + draw(st.text(st.sampled_from(narrow + wide)))


@settings(max_examples=300, deadline=None)
@given(st.one_of(_wide_at_a_boundary(), _gsm7_text, _ucs2_text, st.text(max_size=500)))
def test_parts_match_a_splitter_that_builds_them(text):
    assert count_segments(text).parts == len(reference_parts(text))
