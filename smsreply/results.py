"""What became of a handled reply, in one word and one reason: answered, no_answer, failed.

An action's ``Outcome`` says what the action produced; the reply's *result* also says
whether smsreply could send it. An answer that breaks a short-code rule (a URL, more
parts than ``sms.max_parts``) is refused here, for every action alike — scripts,
handlers, URLs and predefined texts — and the run is recorded as failed with the reason;
nothing is sent and nothing is debited. Pure: no I/O.

Example::

    judge_outcome(Outcome("answer", answer="Visitez https://exemple.fr"), 6)
    # Result("failed", "answer refused: it contains a URL (https://exemple.fr)…", None)
"""

from __future__ import annotations

from dataclasses import dataclass

from .actions import Outcome
from .text.segments import count_segments, find_url

RESULTS = ("answered", "no_answer", "failed")


@dataclass(frozen=True)
class Result:
    result: str  # one of RESULTS
    reason: str
    answer: str | None  # the text to send, None when nothing is sent


def judge_outcome(outcome: Outcome, max_parts: int) -> Result:
    """The reply's result for ``outcome``; the answer only when it may be sent."""
    detail = outcome.detail
    if outcome.kind == "error":
        error = detail.get("error") or "error"
        return Result("failed", f"{error}: {detail.get('reason') or 'the action failed'}", None)
    if outcome.kind != "answer" or outcome.answer is None:
        return Result("no_answer", detail.get("reason") or "no answer by design", None)
    refused = answer_problem(outcome.answer, max_parts)
    if refused:
        return Result("failed", f"answer refused: {refused}", None)
    return Result(
        "answered",
        detail.get("reason") or f"answer of {len(outcome.answer)} characters",
        outcome.answer,
    )


def answer_problem(text: str, max_parts: int) -> str | None:
    """Why ``text`` cannot be sent from a short code, or None (the rules of ``check_text``)."""
    url = find_url(text)
    if url:
        return f"it contains a URL ({url}), which operators block from short codes"
    parts = count_segments(text).parts
    if parts > max_parts:
        return f"it needs {parts} SMS parts, more than sms.max_parts={max_parts}"
    return None
