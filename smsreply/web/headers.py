"""Headers every answer carries: the browser-hardening set, and the matched route for the
access log (``config/gunicorn.conf.py`` logs the route, never the callback token in the path).
"""

from __future__ import annotations

from werkzeug.datastructures import Headers

SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)
ROUTE_HEADER = "X-SMSReply-Route"


def add_headers(headers: Headers, route: str) -> None:
    """The security headers a view did not set itself, and ``route`` (``-``: none matched)."""
    for name, value in SECURITY_HEADERS:
        headers.setdefault(name, value)
    headers[ROUTE_HEADER] = route
