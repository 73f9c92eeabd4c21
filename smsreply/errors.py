"""Errors the domain raises for its callers (API, CLI) to turn into answers.

Each carries a stable ``code`` and an HTTP ``status`` so the web layer maps them without
knowing every case. ``NotFound`` and ``InsufficientCredits`` come from the store.
"""

from __future__ import annotations


class SmsReplyError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(SmsReplyError):
    """Input that is well-formed but not acceptable (a landline, a URL in the text…)."""

    code = "invalid"
    status = 422


class PaymentRequired(SmsReplyError):
    """The credit balance cannot cover what was asked."""

    code = "insufficient_credits"
    status = 402


class Conflict(SmsReplyError):
    """The request does not fit the current state (a campaign already sent, cancelled)."""

    code = "conflict"
    status = 409
