"""Build the CGI/1.1 meta-variables and request body for one script run (pure, no I/O).

The environment is built from scratch: nothing of the server's own environment
reaches a script. The callback's fields (OVH's five, keyword, any other) travel in the body as
``application/x-www-form-urlencoded; charset=utf-8`` (the ``charset`` parameter is
accepted by Perl CGI.pm 4.55, php-cgi 8.2 and Python's ``cgi``/``urllib.parse``,
which all match the media type by prefix or split parameters off, and it tells
scripts the bytes are UTF-8). smsreply's own variables are exported as
``X_SMSREPLY_<KEY>`` (RFC 3875 4.1: extensions start with ``X_``), and inbound
HTTP headers become ``HTTP_*`` under Apache's rules (names with anything but
letters, digits and ``-`` are dropped, so ``X_Foo`` cannot spoof ``X-Foo``).

Example::

    request = build_request({"message": "hi", "senderid": "+336..."}, {"SENDER": "+336..."})
    environ, body = build_environ(request, "echo.sh", "smsreply/1.0")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

OVH_FIELDS = ("shortcode", "tag", "id", "senderid", "message")
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
# C.UTF-8 ships with glibc >= 2.35 and Debian/Ubuntu; it makes sh tools (tr, wc -m,
# sed) count characters, not bytes, in UTF-8 SMS text. Where it is missing, libc
# falls back to C and only a warning reaches stderr.
LANG = "C.UTF-8"

# Headers never exported: httpoxy (Proxy), credentials (RFC 3875 9.2; Cookie too:
# the test console may be called from a browser carrying the manager's session),
# what CONTENT_* already carry, and hop-by-hop fields meaningless to a script.
DROPPED_HEADERS = frozenset(
    {
        "proxy",
        "authorization",
        "proxy-authorization",
        "cookie",
        "content-type",
        "content-length",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")
_EXTRA_KEY = re.compile(r"[A-Z0-9_]+")
_FOLD = re.compile(r"[ \t]*\r?\n[ \t]*")


@dataclass(frozen=True)
class CgiRequest:
    """What one script run receives: callback fields (body), extras and headers."""

    fields: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    server_name: str = "localhost"
    server_port: str = "8080"
    remote_addr: str = "127.0.0.1"
    headers: tuple[tuple[str, str], ...] = ()


def build_request(
    fields: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
    *,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    server_name: str = "localhost",
    server_port: str | int = "8080",
    remote_addr: str = "127.0.0.1",
) -> CgiRequest:
    """Make a CgiRequest with the OVH fields first, in OVH's order, then any others."""
    ordered = {name: str(fields[name]) for name in OVH_FIELDS if name in fields}
    ordered.update((name, str(value)) for name, value in fields.items() if name not in ordered)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return CgiRequest(
        fields=ordered,
        extra={key: str(value) for key, value in (extra or {}).items()},
        server_name=server_name,
        server_port=str(server_port),
        remote_addr=remote_addr,
        headers=tuple((str(name), str(value)) for name, value in pairs),
    )


def build_environ(
    request: CgiRequest,
    script_name: str,
    server_software: str,
    path: str = DEFAULT_PATH,
    *,
    script_filename: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """Return (environ, body) for running ``script_name`` on ``request``.

    Raises ValueError for an ``extra`` key that is not ``[A-Za-z0-9_-]+`` (a bug in
    the caller, not customer input). NUL characters are stripped from every value.
    """
    body = urlencode([(_clean(k), _clean(v)) for k, v in request.fields.items()]).encode()
    uri = "/cgi-bin/" + _clean(script_name)
    environ = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": _clean(server_software),
        "SERVER_NAME": _clean(request.server_name),
        "SERVER_PORT": _clean(request.server_port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": "POST",
        "REQUEST_URI": uri,
        "SCRIPT_NAME": uri,
        # Set and empty: duplicating the fields here would make cgi.FieldStorage
        # and CGI.pm see every field twice.
        "QUERY_STRING": "",
        "CONTENT_TYPE": CONTENT_TYPE,
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": _clean(request.remote_addr),
        # php-cgi built with force-cgi-redirect refuses to run without it.
        "REDIRECT_STATUS": "200",
        "PATH": _clean(path),
        "LANG": LANG,
    }
    if script_filename is not None:
        environ["SCRIPT_FILENAME"] = _clean(script_filename)
    environ.update(header_variables(request.headers))
    environ.update(extra_variables(request.extra))
    return environ, body


def header_variables(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map inbound HTTP headers to ``HTTP_*`` variables, merging repeats with ", "."""
    variables: dict[str, str] = {}
    for name, value in headers:
        if not _HEADER_NAME.fullmatch(name) or name.lower() in DROPPED_HEADERS:
            continue
        value = _convert_header_value(value)
        if value is None:
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        variables[key] = f"{variables[key]}, {value}" if key in variables else value
    return variables


def extra_variables(extra: Mapping[str, str]) -> dict[str, str]:
    """Export smsreply's own variables as ``X_SMSREPLY_<KEY>``."""
    variables = {}
    for key, value in extra.items():
        name = key.upper().replace("-", "_")
        if not _EXTRA_KEY.fullmatch(name):
            raise ValueError(f"invalid extra CGI variable name {key!r}")
        variables["X_SMSREPLY_" + name] = _clean(value)
    return variables


def _convert_header_value(value: str) -> str | None:
    """Return the value fit for a meta-variable, or None to drop the header.

    WSGI servers hand header values over as latin-1-decoded text. RFC 3875 wants
    values in the system's representation (UTF-8 here): bytes that were UTF-8 on
    the wire are restored as such, anything else is read as ISO-8859-1.
    """
    if "\0" in value:
        return None
    try:
        raw = _FOLD.sub(" ", value).strip().encode("latin-1")
    except UnicodeEncodeError:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _clean(value: str) -> str:
    # execve() cannot carry NUL, and Popen raises ValueError on it.
    return str(value).replace("\0", "")
