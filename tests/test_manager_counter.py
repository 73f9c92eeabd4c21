"""The live counter's JavaScript counts exactly as ``smsreply/segments.py`` (run by Node)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsreply.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

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
]


def js_counts(texts: list[str]) -> list[dict]:
    program = (
        f"const {{countSegments}} = require({json.dumps(str(SCRIPT))});"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(texts.map(countSegments)));"
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
        {"encoding": s.encoding, "units": s.units, "parts": s.parts}
        for s in map(count_segments, texts)
    ]


pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def test_samples_count_alike():
    assert js_counts(SAMPLES) == py_counts(SAMPLES)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION))
            | st.characters(exclude_categories=("Cs",)),
            max_size=400,
        ),
        min_size=20,
        max_size=20,
    )
)
def test_random_texts_count_alike(texts):
    assert js_counts(texts) == py_counts(texts)
