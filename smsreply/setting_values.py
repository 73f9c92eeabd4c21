"""Settings whose value has a structure: read and checked once, used as Python values.

``server.bind`` as (host, port), ``cgi.interpreters`` as a dict, ``cgi.answer_types`` as
a tuple. ``load_settings`` calls each at start, so a value that cannot work stops the
server with the setting's name; the server and the actions call them again to use it.

Example::

    bind_address("[::1]:8080")              # ("::1", 8080)
    interpreters('{".php": "php-cgi"}')     # {".php": "php-cgi"}
"""

from __future__ import annotations

import json
import re

from .settings import ConfigError


def bind_address(value: str) -> tuple[str, int]:
    """``server.bind`` as (host, port): ``127.0.0.1:8080``, ``[::1]:8080``, ``unix:PATH``."""
    if value.startswith("unix:") and len(value) > 5:
        return value, 0
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ConfigError(
            f"server.bind must be host:port (127.0.0.1:8080, 0.0.0.0:80, [::1]:8080) "
            f"or unix:PATH, got {value!r}"
        )
    return host.removeprefix("[").removesuffix("]"), int(port)


def interpreters(value: str) -> dict[str, str]:
    """``cgi.interpreters`` as a dict: ``{".php": "php-cgi"}``."""
    try:
        data = json.loads(value) if value.strip() else {}
    except json.JSONDecodeError as error:
        raise ConfigError(f"cgi.interpreters is not valid JSON: {error}") from None
    if not isinstance(data, dict) or not all(
        isinstance(key, str)
        and len(key) > 1
        and key.startswith(".")
        and isinstance(command, str)
        and command.strip()
        for key, command in data.items()
    ):
        raise ConfigError(
            'cgi.interpreters must be a JSON object such as {".php": "php-cgi"} '
            "(extension with its dot -> interpreter command)"
        )
    return {key.lower(): command.strip() for key, command in data.items()}


def answer_types(value: str) -> tuple[str, ...]:
    """``cgi.answer_types`` as a tuple of lower-case media types."""
    types = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    if not types or not all(_MEDIA_TYPE.fullmatch(item) for item in types):
        raise ConfigError(
            f"cgi.answer_types must list media types such as text/plain, got {value!r}"
        )
    return types


_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
