"""Gunicorn's logger, with an access log that computes only the atoms its format names.

For every request gunicorn's ``Logger.atoms`` builds every atom there is — each request and
response header, every environ variable, the time formatted — and ``SafeAtoms`` then copies
and escapes all of them, to fill a format that names five (``config/gunicorn.conf.py``):
about 5 % of a callback's CPU in the bench's profile. ``AccessLogger.atoms`` builds only the
atoms the format names, the same values as gunicorn's (a test compares them); a format naming
one it does not know (``%(t)s``, ``%(u)s``…) gets gunicorn's own.

Example (``config/gunicorn.conf.py``)::

    logger_class = "smsreply.access_log.AccessLogger"
"""

from __future__ import annotations

import functools
import os
import re

from gunicorn.glogging import Logger

_NAME = re.compile(r"%\(([^)]+)\)")
_HEADER = re.compile(r"\{([^}]+)\}([ioe])")


@functools.cache
def names(access_log_format: str) -> tuple[str, ...]:
    """The atoms a format names, as ``SafeAtoms`` looks them up (header names lower-cased)."""
    found = []
    for name in _NAME.findall(access_log_format):
        found.append(name.lower() if name.startswith("{") else name)
    return tuple(dict.fromkeys(found))


def _simple(name: str, resp, environ, request_time):
    """One of gunicorn's one-letter atoms, computed as gunicorn computes it."""
    if name == "h":
        return environ.get("REMOTE_ADDR", "-")
    if name == "l":
        return "-"
    if name == "m":
        return environ.get("REQUEST_METHOD")
    if name == "s":
        status = resp.status
        return status.split(None, 1)[0] if isinstance(status, str) else status
    if name == "B":
        return getattr(resp, "sent", None)
    if name == "b":
        return getattr(resp, "sent", None) is not None and str(resp.sent) or "-"
    if name == "L":
        return f"{request_time.seconds}.{request_time.microseconds:06d}"
    if name == "T":
        return request_time.seconds
    if name == "D":
        return request_time.seconds * 1000000 + request_time.microseconds
    if name == "M":
        return request_time.seconds * 1000 + int(request_time.microseconds / 1000)
    if name == "U":
        return environ.get("PATH_INFO")
    if name == "q":
        return environ.get("QUERY_STRING")
    if name == "H":
        return environ.get("SERVER_PROTOCOL")
    if name == "r":
        method, uri = environ["REQUEST_METHOD"], environ["RAW_URI"]
        return f"{method} {uri} {environ['SERVER_PROTOCOL']}"
    if name == "f":
        return environ.get("HTTP_REFERER", "-")
    if name == "a":
        return environ.get("HTTP_USER_AGENT", "-")
    if name == "p":
        return f"<{os.getpid()}>"
    raise KeyError(name)


def _header(wanted: str, pairs) -> str | None:
    """The last value of a header (gunicorn's dict keeps the last one)."""
    found = None
    for name, value in pairs.items() if hasattr(pairs, "items") else pairs:
        if name.lower() == wanted:
            found = value
    return found


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = {}
        for name in names(self.cfg.access_log_format):
            header = _HEADER.fullmatch(name)
            if header is None:
                try:
                    atoms[name] = _simple(name, resp, environ, request_time)
                except KeyError:  # an atom only gunicorn computes (the time, the user…)
                    return super().atoms(resp, req, environ, request_time)
                continue
            wanted, where = header.groups()
            if where == "i":
                value = _header(wanted, getattr(req, "headers", req))
            elif where == "o":
                value = _header(wanted, resp.headers)
            else:
                value = _header(wanted, environ)
            if value is not None:  # absent: SafeAtoms writes "-"
                atoms[name] = value
        return atoms
