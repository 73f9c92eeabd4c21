"""RFC 3875 output parsing and every row of the contract's decision table."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from smsreply.cgi import CgiGateway, MalformedOutput, RawRun, build_request, decide, parse_output


def raw(stdout: bytes = b"", **overrides) -> RawRun:
    values = dict(
        exit_code=0,
        signal=None,
        timed_out=False,
        duration=0.01,
        stdout=stdout,
        stderr=b"",
        stdout_truncated=False,
        stderr_truncated=False,
    )
    values.update(overrides)
    return RawRun(**values)


def outcome_of(stdout: bytes, max_answer_chars: int = 160, **overrides):
    return decide(raw(stdout, **overrides), max_answer_chars)


# ---- parse_output --------------------------------------------------------------------


def test_parse_headers_and_body():
    headers, body = parse_output(b"Content-Type:text/plain\r\nX-CGI-State:  step2 \r\n\r\nhi\r\n")
    assert headers == {"content-type": "text/plain", "x-cgi-state": "step2"}
    assert body == b"hi\r\n"


def test_parse_keeps_body_bytes_verbatim_and_merges_extension_repeats():
    headers, body = parse_output(b"STATUS: 200 OK\nX-Tag: a\nx-tag: b\n\n\n\x00\xff\nend")
    assert headers == {"status": "200 OK", "x-tag": "a, b"}
    assert body == b"\n\x00\xff\nend"


def test_parse_empty_value_is_no_field():
    headers, _ = parse_output(b"Status:\nContent-Type: text/plain\n\nx")
    assert headers == {"content-type": "text/plain"}


@pytest.mark.parametrize(
    "stdout, message",
    [
        (b"", "empty output"),
        (b"Content-Type: text/plain\n", "no blank line"),
        (b"Content-Type: text/plain", "no blank line"),
        (b"hello world\n\n", "line 1 is not a header"),
        (b"Content-Type: text/plain\nhello\n\n", "line 2 is not a header"),
        (b"Content-Type : text/plain\n\nx", "line 1 is not a header"),
        (b"Content-Type: text/plain\n  ; charset=utf-8\n\nx", "continuation"),
        (b"Content-Type: text/plain\ncontent-type: text/html\n\nx", "more than once"),
        (b"Status: 200\nStatus: 201\nContent-Type: text/plain\n\nx", "more than once"),
        (b"Location: /a\nLocation: /b\n\n", "more than once"),
        (b"Content-Type: text/plain\nX-CGI-State: a\nX-CGI-State: b\n\nx", "more than once"),
        (b"Status: 20\nContent-Type: text/plain\n\nx", "invalid Status"),
        (b"Status: 2000 OK\nContent-Type: text/plain\n\nx", "invalid Status"),
        (b"Status: OK\nContent-Type: text/plain\n\nx", "invalid Status"),
        (b"Status: 700 Weird\nContent-Type: text/plain\n\nx", "invalid Status"),
        (b"X-Only: extension\n\nbody", "no Content-Type, Status or Location"),
        (b"\nbody without headers", "no Content-Type, Status or Location"),
        (b"Content-Type: text/plain\nX-CGI-State: \xff\xfe\n\nx", "not valid UTF-8"),
    ],
)
def test_parse_malformed(stdout, message):
    with pytest.raises(MalformedOutput, match=message):
        parse_output(stdout)


# ---- decide: one test per row of the table, in the table's order ---------------------


def test_row_timeout():
    outcome = outcome_of(b"Content-Type: text/plain\n\npartial", timed_out=True, signal=9)
    assert (outcome.kind, outcome.error, outcome.answer) == ("error", "timeout", None)


def test_row_exit_status_with_stderr():
    outcome = outcome_of(
        b"Content-Type: text/plain\n\nok", exit_code=3, stderr=b"a\nboom: db down\n"
    )
    assert (outcome.kind, outcome.error) == ("error", "exit")
    assert outcome.reason == "exit status 3: boom: db down"


def test_row_signal():
    outcome = outcome_of(b"", exit_code=None, signal=11)
    assert (outcome.kind, outcome.error) == ("error", "signal")
    assert "signal 11" in outcome.reason


@pytest.mark.parametrize("stdout", [b"", b"just text\n", b"Content-Type: text/plain\n"])
def test_row_empty_or_malformed(stdout):
    outcome = outcome_of(stdout)
    assert (outcome.kind, outcome.error, outcome.answer) == ("error", "malformed", None)
    assert outcome.reason.startswith("malformed output: ")


@pytest.mark.parametrize(
    "stdout",
    [
        b"Location: /cgi-bin/other.sh\n\n",
        b"Location: https://example.test/\n\n",
        b"Location: https://example.test/\nStatus: 302 Found\nContent-Type: text/plain\n\nmoved",
        b"Status: 404 Not Found\nLocation: https://example.test/\n\n",  # Location wins
    ],
)
def test_row_redirect(stdout):
    outcome = outcome_of(stdout)
    assert (outcome.kind, outcome.answer, outcome.error) == ("redirect", None, None)
    assert "not followed" in outcome.reason


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_row_error_status(status):
    stdout = f"Status: {status} Nope\nContent-Type: text/plain\n\nunknown\nkeyword".encode()
    outcome = outcome_of(stdout)
    assert (outcome.kind, outcome.error, outcome.status) == ("error", "status", status)
    assert outcome.reason == f"script answered {status} Nope: unknown keyword"


@pytest.mark.parametrize(
    "stdout",
    [
        b"Status: 204 No Content\n\n",
        b"Status: 204\nContent-Type: text/plain\n\nignored body",
        b"Content-Type: text/plain\n\n",
        b"Content-Type: text/plain\n\n \r\n\t\n",
        b"Status: 202 Accepted\n\n",  # no body: no Content-Type needed
        b"Content-Type: text/plain; charset=utf-16\n\n \x00\n\x00",  # whitespace once decoded
    ],
)
def test_row_no_reply(stdout):
    outcome = outcome_of(stdout)
    assert (outcome.kind, outcome.answer, outcome.error) == ("no-reply", None, None)


@pytest.mark.parametrize(
    "stdout, answer",
    [
        (b"Content-Type: text/plain\n\nhello\n", "hello"),
        (b"content-type: TEXT/PLAIN\r\n\r\nhello\r\n", "hello"),
        (b"Content-Type: text/plain\n\nline 1\r\nline 2\n\n", "line 1\nline 2\n"),
        (b"Status: 201 Created\nContent-Type: text/plain\n\n<b>x</b>", "<b>x</b>"),
        (
            b"Content-Type: text/plain; charset=utf-8\n\n\xef\xbb\xbfcaf\xc3\xa9 \xf0\x9f\x98\x80",
            "café 😀",
        ),
        (b'Content-Type: text/plain; charset="ISO-8859-1"\n\ncaf\xe9', "café"),
        (b"Content-Type: text/plain; Charset=Latin1\n\ncaf\xe9", "café"),
    ],
)
def test_row_answer(stdout, answer):
    outcome = outcome_of(stdout)
    assert (outcome.kind, outcome.answer, outcome.error) == ("answer", answer, None)


@pytest.mark.parametrize(
    "stdout, error",
    [
        (b"Content-Type: application/json\n\n{}", "unsupported-content"),
        (
            b"Content-Type: text/xml\n\n<Response><Message>x</Message></Response>",
            "unsupported-content",
        ),
        (b'Content-Type: text/html\n\n<pre>string(2) "hi"</pre>', "unsupported-content"),
        (b"Content-Type: image/png\n\n\x89PNG", "unsupported-content"),
        (b"Status: 200 OK\n\nbody but no type", "unsupported-content"),
        (b"Content-Type: text/plain\n\ncaf\xe9", "bad-encoding"),
        (b"Content-Type: text/plain; charset=ascii\n\ncaf\xc3\xa9", "bad-encoding"),
        (b"Content-Type: text/plain; charset=klingon\n\nx", "bad-encoding"),
        (b"Content-Type: text/plain; charset=base64\n\nx", "bad-encoding"),
        (b"Content-Type: text/plain\n\n" + b"x" * 161, "too-long"),
    ],
)
def test_row_content_errors(stdout, error):
    outcome = outcome_of(stdout)
    assert (outcome.kind, outcome.error, outcome.answer) == ("error", error, None)


def test_missing_content_type_reason_says_what_to_add():
    outcome = outcome_of(b"Status: 200 OK\n\nhello")
    assert "Content-Type: text/plain; charset=utf-8" in outcome.reason


def test_length_limit_counts_characters_after_trimming():
    assert outcome_of(b"Content-Type: text/plain\n\n" + "é".encode() * 160 + b"\n").kind == "answer"
    assert outcome_of(b"Content-Type: text/plain\n\n" + "é".encode() * 161).error == "too-long"


def test_truncated_stdout_is_never_sent():
    outcome = outcome_of(b"Content-Type: text/plain\n\nshort", stdout_truncated=True)
    assert (outcome.error, outcome.answer) == ("too-long", None)


def test_spawn_error():
    outcome = outcome_of(b"", exit_code=None, spawn_error="interpreter not found")
    assert (outcome.kind, outcome.error, outcome.reason) == (
        "error",
        "spawn",
        "interpreter not found",
    )


# ---- X-CGI-State ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "stdout, state",
    [
        (b"Content-Type: text/plain\n\nhi", None),
        (b"Content-Type: text/plain\nX-CGI-State: menu=2;lang=fr\n\nhi", "menu=2;lang=fr"),
        (b"Content-Type: text/plain\nx-cgi-state:\n\nhi", ""),  # present and empty: clear
        (b"Status: 204\nX-CGI-State: \xc3\xa9tape 2\n\n", "étape 2"),
        (b"Location: /x\nX-CGI-State: s\n\n", "s"),
    ],
)
def test_state_header(stdout, state):
    outcome = outcome_of(stdout)
    assert outcome.kind in ("answer", "no-reply", "redirect")
    assert outcome.state == state


def test_state_is_dropped_on_errors_and_bounded():
    failing = b"Status: 500\nContent-Type: text/plain\nX-CGI-State: s\n\nx"
    assert outcome_of(failing).state is None
    assert outcome_of(b"Content-Type: text/plain\nX-CGI-State: s\n\nx", exit_code=1).state is None
    assert outcome_of(b"Content-Type: text/plain\nX-CGI-State: " + b"s" * 4096 + b"\n\nx").state
    too_long = outcome_of(b"Content-Type: text/plain\nX-CGI-State: " + b"s" * 4097 + b"\n\nx")
    assert (too_long.error, too_long.state) == ("malformed", None)


def test_reason_is_one_line():
    outcome = outcome_of(b"", exit_code=2, stderr=b"Traceback\n  File x\nValueError: bad\r\n")
    assert outcome.reason == "exit status 2: ValueError: bad"
    assert "\n" not in outcome_of(b"oops\nmore\n\n").reason


# ---- the same table with real scripts --------------------------------------------------

REAL_SCRIPTS = [
    ("printf 'Content-Type: text/plain\\n\\nBonjour\\n'", "answer", None, "Bonjour"),
    ("printf 'Status: 204\\n\\n'", "no-reply", None, None),
    ("printf 'Content-Type: text/plain\\n\\n   \\n'", "no-reply", None, None),
    ("echo 'oops' >&2; exit 3", "error", "exit", None),
    ("printf 'Content-Type: text/plain\\n\\nhalf'; kill -9 $$", "error", "signal", None),
    ("echo 'no headers at all'", "error", "malformed", None),
    ("true", "error", "malformed", None),
    ("printf 'Location: https://example.test/\\n\\n'", "redirect", None, None),
    ("printf 'Status: 503 Busy\\nContent-Type: text/plain\\n\\nlater'", "error", "status", None),
    ("printf 'Content-Type: application/json\\n\\n{}'", "error", "unsupported-content", None),
    ("printf 'Content-Type: text/plain\\n\\n\\377\\376'", "error", "bad-encoding", None),
    (
        "printf 'Content-Type: text/plain\\n\\n'; head -c 200 /dev/zero | tr '\\0' x",
        "error",
        "too-long",
        None,
    ),
    ("sleep 5", "error", "timeout", None),
]


@pytest.mark.parametrize("body, kind, error, answer", REAL_SCRIPTS)
def test_decision_table_with_real_scripts(tmp_path: Path, body, kind, error, answer):
    script = tmp_path / "row.sh"
    script.write_text(textwrap.dedent(f"#!/bin/sh\n{body}\n"))
    script.chmod(0o755)
    gateway = CgiGateway(tmp_path, timeout=1.0, max_answer_chars=160)
    run = gateway.run("row.sh", build_request({"message": "hi"}, {}))
    assert (run.outcome.kind, run.outcome.error, run.outcome.answer) == (kind, error, answer), run
    if error == "exit":
        assert run.exit_code == 3 and "oops" in run.stderr and "oops" in run.outcome.reason
    if error == "signal":
        assert run.signal == 9 and run.stdout_excerpt.endswith("half")
