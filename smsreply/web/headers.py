"""Headers every answer carries: the browser-hardening set, and the matched route for the
access log (``config/gunicorn.conf.py`` logs the route, never the callback token in the path).

``headers_to_add`` decides them once for both applications: the Flask app applies them to a
response (``add_headers``), the callbacks' own WSGI app appends them to its plain list (a
werkzeug ``Headers`` costs more than the rest of the answer's headers on that hot route).
"""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.datastructures import Headers

SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)
ROUTE_HEADER = "X-SMSReply-Route"


def headers_to_add(own: Iterable[str], route: str) -> list[tuple[str, str]]:
    """What an answer whose headers are named ``own`` adds: the security headers it did not
    set itself, and ``route`` (``-``: none matched)."""
    present = {name.lower() for name in own}
    added = [(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present]
    added.append((ROUTE_HEADER, route))
    return added


def add_headers(headers: Headers, route: str) -> None:
    """``headers_to_add`` applied to a response's headers (the route replaces any other)."""
    for name, value in headers_to_add(headers.keys(), route):
        headers[name] = value
