"""Errors the domain raises for its callers (API, CLI, manager) to turn into answers.

Each carries a stable ``code`` and an HTTP ``status`` so the web layer maps them without
knowing every case, and an English ``message`` (what the API and the CLI show). To be
said again in another language, an error also names its sentence — ``key``, stable — with
the ``params`` the sentence needs, and ``location`` says which entry of a list it is about
(``("rules", 2)``: the third rule). The manager translates from those, never by parsing
the English. ``NotFound`` and ``InsufficientCredits`` come from the store.

Example::

    raise ValidationError("'tag' is too long", field="tag", key="tag_invalid", params={"max": 64})
"""

from __future__ import annotations

from collections.abc import Mapping


class SmsReplyError(Exception):
    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        key: str | None = None,
        params: Mapping[str, object] | None = None,
        location: tuple = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.key = key or self.code
        self.params = dict(params or {})
        self.location = tuple(location)

    @classmethod
    def from_cause(
        cls,
        cause: Exception,
        *,
        field: str | None = None,
        prefix: str = "",
        location: tuple = (),
    ) -> SmsReplyError:
        """This error for a lower one (``InvalidNumber``, ``ActionConfigError``): its
        message after ``prefix``, its key and parameters kept."""
        return cls(
            prefix + str(getattr(cause, "message", cause)),
            field=field if field is not None else getattr(cause, "field", None),
            key=getattr(cause, "key", None),
            params=getattr(cause, "params", None),
            location=location,
        )


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
