"""The manager's gettext catalogues: complete, current, and nothing left outside them.

The French catalogue must translate every string the sources mark (no empty, no fuzzy
entry, the same ``%(name)s`` placeholders), hold no string the sources no longer use,
and the templates must show no word that does not go through gettext.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from werkzeug.datastructures import LanguageAccept

from smsreply.actions import ACTIONS
from smsreply.errors import SmsReplyError
from smsreply.receiving import REASONS
from smsreply.web.manager import language
from smsreply.web.manager.explain import SENTENCES
from smsreply.web.manager.labels import LABELS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "smsreply" / "templates").rglob("*.html"))
CATALOGUES = sorted((ROOT / "smsreply" / "translations").glob("*/LC_MESSAGES/messages.po"))
# Words shown as they are on purpose: the product's name, each language's own name.
UNTRANSLATED = {"smsreply", "Français", "English", "SMS", "https://"}


def catalogue(path: Path):
    with path.open("rb") as source:
        return read_po(source)


def extracted() -> set:
    """(context, msgid) of every string the sources mark, as `make messages` extracts."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords={"_l": None, **_keywords()}
    ):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def _keywords() -> dict:
    from babel.messages.extract import DEFAULT_KEYWORDS

    return dict(DEFAULT_KEYWORDS)


def test_there_is_a_french_catalogue():
    assert [path.parent.parent.name for path in CATALOGUES] == ["fr"]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_every_entry_is_translated_and_not_fuzzy(path):
    catalog = catalogue(path)
    problems = []
    for message in list(catalog)[1:]:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings) or len(strings) not in (1, catalog.num_plurals):
            problems.append(message.id)
    assert not problems
    # Babel's checkers: the same python-format placeholders in every translation.
    assert not [(message.id, errors) for message, errors in catalog.check()]
    assert len(catalog) > 150  # the reading works


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_the_catalogue_matches_the_sources(path):
    in_catalogue = {(message.context, message.id) for message in list(catalogue(path))[1:]}
    in_sources = extracted()
    in_catalogue = {(context, i[0] if isinstance(i, tuple) else i) for context, i in in_catalogue}
    assert not sorted(in_sources - in_catalogue, key=str), "run `make messages` and translate"
    assert not sorted(in_catalogue - in_sources, key=str), "obsolete: run `make messages`"
    assert (None, "Compose a message") in in_sources  # the extraction works


class VisibleText(HTMLParser):
    """Words a reader sees — text and the attributes read aloud — outside Jinja tags."""

    ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1
        shown = self.ATTRIBUTES + (("value",) if ("type", "submit") in attrs else ())
        for name, value in attrs:
            if name in shown and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.found.append(data)


def words_outside_gettext(source: str) -> list[str]:
    # Every Jinja expression, statement and comment becomes a placeholder character.
    bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "\x00", source, flags=re.S)
    parser = VisibleText()
    parser.feed(bare)
    words = []
    for chunk in parser.found:
        for piece in chunk.split("\x00"):
            piece = piece.strip()
            if re.search(r"[=<\"]", piece):
                continue  # markup split by a Jinja tag inside a tag, not text
            if set(re.findall(r"[^\W\d_][\w:/.-]*", piece)) - UNTRANSLATED:
                words.append(piece)
    return words


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_shows_words_outside_gettext(template):
    assert not words_outside_gettext(template.read_text())


def test_the_template_scan_finds_bare_words():
    assert words_outside_gettext('<p title="Hello">{{ _("x") }} Bonjour</p>') == [
        "Hello",
        "Bonjour",
    ]
    assert words_outside_gettext("<p aria-label=\"{{ _('Pages') }}\">{{ x }} · #</p>") == []


def test_every_code_shown_on_a_page_has_a_label():
    expected = {
        "action": set(ACTIONS),
        "reason": set(REASONS),
        "reply": {"pending", "handled", "rejected"},
        "conversation": {"open", "closed"},
        "encoding": {"gsm7", "ucs2"},
        "sms": {"queued", "sending", "sent", "failed", "no_credit"},
        "delivery": {"delivered", "pending", "failed"},
    }
    for kind, codes in expected.items():
        assert codes <= set(LABELS[kind]), kind


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
    assert language.choose(cookie, accept) == expected


# Where each error class takes its key: a keyword ``key=``, or this positional argument.
KEY_POSITION = {"InvalidNumber": 1, "ActionConfigError": 2, "NotFound": 1, "InvalidCallback": 1}


def raised_keys() -> set[str]:
    """Every error key the package's code can raise, read from its syntax tree."""
    keys = {cls.code for cls in (SmsReplyError, *SmsReplyError.__subclasses__())}
    keys |= {"number_invalid", "action_invalid", "not_found", "callback_invalid"}  # defaults
    for path in (ROOT / "smsreply").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.IfExp)
                and any(getattr(target, "id", "") == "key" for target in node.targets)
            ):  # key = "a" if … else "b"
                keys |= {
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
            if isinstance(node, ast.FunctionDef) and node.name == "_explain":
                # reply_options: (key, message, params) for the errors pydantic finds
                for result in ast.walk(node):
                    if isinstance(result, ast.Return) and isinstance(result.value, ast.Tuple):
                        first = result.value.elts[0]
                        if isinstance(first, ast.Constant) and isinstance(first.value, str):
                            keys.add(first.value)
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            for keyword in node.keywords:
                if keyword.arg == "key" and isinstance(keyword.value, ast.Constant):
                    keys.add(keyword.value.value)
            position = KEY_POSITION.get(name, 0 if name == "invalid" else None)
            if position is not None and len(node.args) > position:
                argument = node.args[position]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    keys.add(argument.value)
    return keys


def test_every_error_key_has_a_sentence_in_the_manager():
    keys = raised_keys()
    assert {"number_not_mobile", "rule_regex_invalid", "script_not_found", "nul"} <= keys
    assert {"notification_keys", "too_many", "text_url"} <= keys  # reply_options
    assert not sorted(keys - set(SENTENCES))
