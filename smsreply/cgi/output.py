"""Turn a finished run into one outcome: parse the output, then judge the response.

``parse_output`` splits a script's stdout into header fields and body under RFC 3875
section 6 (strictly: anything Apache would call "malformed header from script" is
malformed here too). ``judge`` applies the response rows of the contract's decision
table to a status, headers and body: redirect, non-2xx status, no-reply, then the answer
or its content error. Handlers (WSGI) and the ``url`` action hand their responses to
``judge`` directly; ``decide`` first applies the process rows to a script's ``RawRun``
(spawn failure, timeout, signal/exit, malformed) and then parses and judges its output.
Only the media types in ``answer_types`` (by default ``text/plain``) are answers: a
TwiML or HTML page printed by a script written for another service is never sent.
A body with no ``Content-Type`` is refused as ``unsupported-content`` (the RFC says the
server SHOULD NOT guess; the reason tells the customer which header to add). Pure: no I/O.
"""

from __future__ import annotations

import codecs
import itertools
import re
from dataclasses import dataclass, field

from .runner import RawRun

STATE_HEADER = "x-cgi-state"
MAX_STATE_CHARS = 4096
CGI_FIELDS = ("content-type", "location", "status")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_STATUS = re.compile(r"([1-5][0-9][0-9])(?:[ \t]+(.*))?")
ANSWER_TYPES = ("text/plain",)


class MalformedOutput(ValueError):
    """The script's stdout is not a CGI response; the message says why."""


@dataclass(frozen=True)
class CgiOutcome:
    """One run's verdict: what to send (``answer``) or why nothing is sent."""

    kind: str  # "answer" | "no-reply" | "error" | "redirect"
    answer: str | None = None
    error: str | None = None
    status: int | None = None
    reason: str = ""
    state: str | None = None  # X-CGI-State: None when absent, "" clears the state
    headers: dict[str, str] = field(default_factory=dict)


def parse_output(stdout: bytes) -> tuple[dict[str, str], bytes]:
    """Split stdout into (headers with lower-case names, body); raise MalformedOutput."""
    if not stdout:
        raise MalformedOutput(
            "empty output (a CGI script must print headers, a blank line, a body)"
        )
    headers: dict[str, str] = {}
    position = 0
    for number in itertools.count(1):
        end = stdout.find(b"\n", position)
        if end < 0:
            raise MalformedOutput("no blank line after the header block")
        line = stdout[position:end].removesuffix(b"\r")
        position = end + 1
        if not line:
            break
        name, value = _parse_field(line, number)
        if name in headers and (name in CGI_FIELDS or name == STATE_HEADER):
            raise MalformedOutput(f"header {name!r} appears more than once")
        if value:  # RFC 3875 6.3: an empty value is the same as no field
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        elif name == STATE_HEADER:
            headers[name] = ""
    if not any(name in headers for name in CGI_FIELDS):
        raise MalformedOutput("no Content-Type, Status or Location header")
    if "status" in headers and not _STATUS.fullmatch(headers["status"]):
        raise MalformedOutput(f"invalid Status {headers['status'][:40]!r} (want 'NNN reason')")
    return headers, stdout[position:]


def _parse_field(line: bytes, number: int) -> tuple[str, str]:
    if line[:1] in (b" ", b"\t"):
        raise MalformedOutput(f"line {number}: continuation lines are not allowed in CGI")
    name, colon, value = line.partition(b":")
    if not colon or not _TOKEN.fullmatch(name):
        shown = line[:60].decode("utf-8", "replace")
        raise MalformedOutput(f"line {number} is not a header field: {shown!r}")
    lowered = name.decode("ascii").lower()
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        if lowered == STATE_HEADER:
            raise MalformedOutput("X-CGI-State is not valid UTF-8") from None
        text = value.decode("latin-1")  # RFC 3875: header TEXT is ISO-8859-1
    return lowered, text.strip(" \t")


def decide(
    raw: RawRun, max_answer_chars: int, answer_types: tuple[str, ...] = ANSWER_TYPES
) -> CgiOutcome:
    """Apply the contract's decision table to one script run."""
    if raw.spawn_error:
        return _error("spawn", raw.spawn_error)
    if raw.timed_out:
        return _error("timeout", f"killed after the {raw.duration:.1f} s time limit")
    if raw.signal is not None:
        return _error("signal", f"killed by signal {raw.signal}{_stderr_tail(raw)}")
    if raw.exit_code != 0:
        return _error("exit", f"exit status {raw.exit_code}{_stderr_tail(raw)}")
    try:
        headers, body = parse_output(raw.stdout)
    except MalformedOutput as problem:
        cut = " (stdout was cut at the size limit)" if raw.stdout_truncated else ""
        return _error("malformed", f"malformed output: {problem}{cut}")
    status_text = headers.get("status", "200 OK")
    return judge(status_text, headers, body, max_answer_chars, answer_types, raw.stdout_truncated)


def judge(
    status_text: str,
    headers: dict[str, str],
    body: bytes,
    max_answer_chars: int,
    answer_types: tuple[str, ...] = ANSWER_TYPES,
    truncated: bool = False,
) -> CgiOutcome:
    """The response rows of the table: ``status_text`` is ``"200 OK"``, ``headers`` have
    lower-case names; ``truncated`` says the body was cut at the size limit."""
    if not _STATUS.fullmatch(status_text):
        return _error("malformed", f"invalid status {status_text[:40]!r} (want 'NNN reason')")
    state = headers.get(STATE_HEADER)
    if state is not None and len(state) > MAX_STATE_CHARS:
        return _error("malformed", f"X-CGI-State longer than {MAX_STATE_CHARS} characters")
    status = int(status_text[:3])
    if "location" in headers:
        return CgiOutcome(
            "redirect",
            status=status,
            state=state,
            headers=headers,
            reason=f"redirect to {_one_line(headers['location'], 200)} (not followed)",
        )
    if not 200 <= status < 300:
        excerpt = _one_line(body.decode("utf-8", "replace"), 200)
        return _error(
            "status",
            f"script answered {_one_line(status_text, 80)}: {excerpt}",
            status=status,
            headers=headers,
        )
    if status == 204 or not body.strip():
        return CgiOutcome(
            "no-reply",
            status=status,
            state=state,
            headers=headers,
            reason="no reply (status 204 or empty body)",
        )
    return _document(truncated, headers, body, status, state, max_answer_chars, answer_types)


def _document(
    truncated: bool,
    headers: dict[str, str],
    body: bytes,
    status: int,
    state: str | None,
    max_answer_chars: int,
    answer_types: tuple[str, ...],
) -> CgiOutcome:
    content_type = headers.get("content-type")
    if content_type is None:
        return _error(
            "unsupported-content",
            "body without Content-Type (print 'Content-Type: text/plain; charset=utf-8' first)",
            status,
            headers,
        )
    media_type, params = _media_type(content_type)
    if media_type not in answer_types:
        allowed = " or ".join(answer_types)
        return _error(
            "unsupported-content",
            f"unsupported content type {media_type!r}: only {allowed} is sent as an SMS",
            status,
            headers,
        )
    charset = params.get("charset", "utf-8")
    try:
        text = body.decode(codecs.lookup(charset).name)
    except LookupError:
        return _error("bad-encoding", f"unknown charset {charset!r}", status, headers)
    except UnicodeDecodeError as problem:
        return _error(
            "bad-encoding", f"body is not valid {charset} at byte {problem.start}", status, headers
        )
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").removesuffix("\n")
    if not text.strip():
        return CgiOutcome(
            "no-reply",
            status=status,
            state=state,
            headers=headers,
            reason="no reply (whitespace-only body)",
        )
    if truncated:
        return _error("too-long", "output exceeds the stdout size limit", status, headers)
    if len(text) > max_answer_chars:
        return _error(
            "too-long",
            f"answer has {len(text)} characters, limit {max_answer_chars}",
            status,
            headers,
        )
    return CgiOutcome(
        "answer",
        answer=text,
        status=status,
        state=state,
        headers=headers,
        reason=f"answer of {len(text)} characters",
    )


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    media_type, *parts = value.split(";")
    params = {}
    for part in parts:
        name, _, param = part.partition("=")
        params[name.strip().lower()] = param.strip().strip('"')
    return media_type.strip().lower(), params


def _error(
    error: str, reason: str, status: int | None = None, headers: dict[str, str] | None = None
) -> CgiOutcome:
    return CgiOutcome(
        "error", error=error, status=status, reason=_one_line(reason, 300), headers=headers or {}
    )


def _stderr_tail(raw: RawRun) -> str:
    lines = raw.stderr.decode("utf-8", "replace").strip().splitlines()
    return f": {_one_line(lines[-1], 200)}" if lines else ""


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
