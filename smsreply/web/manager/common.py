"""Small helpers every manager screen uses: the service, form fields, paging, redirects.

Kept apart from the package's ``__init__`` so the screens can import them without a cycle.
"""

from __future__ import annotations

import re

from flask import current_app, request, url_for

from ...service import Service

PER_PAGE = 25
SAFE_PATH = re.compile(r"[\x21-\x5b\x5d-\x7e]+")  # printable ASCII but the backslash


def service() -> Service:
    return current_app.extensions["smsreply"]


def whole_number(text: str) -> int | None:
    """``text`` as an int when it is 1 to 12 ASCII digits, else None."""
    return int(text) if re.fullmatch(r"[0-9]{1,12}", text or "") else None


def page_number() -> int:
    """The ``page`` query parameter; anything odd means the first page."""
    number = whole_number(request.args.get("page", ""))
    return min(number, 10**6) if number else 1


def safe_next(target: str | None) -> str:
    """Where to go after login or a language switch: only a path of this manager."""
    # Printable ASCII only: a CR or LF would split the Location header (werkzeug refuses it).
    if target and target.startswith("/manager/") and SAFE_PATH.fullmatch(target):
        return target
    return url_for("manager.conversations.index")


def form_text(name: str, strip: bool = True) -> str:
    """A form field as text. Browsers submit textarea line breaks as CRLF while the page
    (and its live counter) saw LF: keep LF, so the text counted is the text sent."""
    value = request.form.get(name, "").replace("\r\n", "\n")
    return value.strip() if strip else value
