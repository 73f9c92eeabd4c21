"""The live counter's JavaScript counts exactly as ``smsreply/text/segments.py`` and smart-encodes
exactly as ``smsreply/text/smart_encoding.py`` (run by Node)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsreply.text.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments, ucs2_characters
from smsreply.text.smart_encoding import REPLACEMENTS, smart_encode

SCRIPT = Path(__file__).resolve().parent.parent / "smsreply" / "static" / "manager.js"
NODE = shutil.which("node")
SAMPLES = [
    "",
    "Bonjour",
    "a" * 160,
    "a" * 161,
    "€" * 80,
    "€" * 81,
    "[x]{y}\\~|^\f",
    "é" * 160,
    "ç",
    "ç" * 70,
    "ç" * 71,
    "🙂" * 35,
    "🙂" * 36,
    "RDV demain 10h.\nRépondez OUI ou NON",
    "a\r\nb",
    "Ünïcödé ÿ",
    "x" * 153 * 6,
    "x" * (153 * 6 + 1),
    "« Bonjour » – l’équipe vous répond… “demain” à 10\u202fh\u00a0!",
    "Fête – 20 h",
    "…" * 70,
    "a\u00adb\u200bc\ufeff",
    # a two-unit character at a part boundary starts the next part whole
    "a" * 152 + "€" + "a" * 152,
    "a" * 151 + "€" + "a" * 153,
    "a" * 160 + "€",
    "ê" * 66 + "😀" + "ê" * 66,
    "ê" * 65 + "😀" + "ê" * 67,
    "😀" * 67,
    "{" * 77 + "a" + "{" * 76,
]


def js_counts(texts: list[str]) -> list[dict]:
    program = (
        f"const m = require({json.dumps(str(SCRIPT))});"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(texts.map((t) => Object.assign(m.countSegments(t), "
        "{smart: m.smartEncode(t), why: m.ucs2Characters(t)}))));"
    )
    result = subprocess.run(
        [NODE, "-e", program],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(result.stdout)


def py_counts(texts: list[str]) -> list[dict]:
    return [
        {
            "encoding": segments.encoding,
            "units": segments.units,
            "parts": segments.parts,
            "smart": smart_encode(text),
            "why": ucs2_characters(text),
        }
        for text, segments in zip(texts, map(count_segments, texts), strict=True)
    ]


pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def test_samples_count_alike():
    assert js_counts(SAMPLES) == py_counts(SAMPLES)


def test_the_smart_encoding_tables_are_the_same():
    program = (
        f"const m = require({json.dumps(str(SCRIPT))});"
        "console.log(JSON.stringify(m.SMART_REPLACEMENTS));"
    )
    result = subprocess.run(
        [NODE, "-e", program], capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(result.stdout) == REPLACEMENTS


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION))
            | st.sampled_from(sorted(REPLACEMENTS))
            | st.characters(exclude_categories=("Cs",)),
            max_size=400,
        )
        # two-unit characters across part boundaries (extension characters, emoji)
        | st.text(alphabet=st.sampled_from("a€{"), min_size=150, max_size=800)
        | st.text(alphabet=st.sampled_from("ê😀a"), min_size=60, max_size=300),
        min_size=20,
        max_size=20,
    )
)
def test_random_texts_count_alike(texts):
    assert js_counts(texts) == py_counts(texts)
