"""The manager's language and time zone, for Flask-Babel.

Words come from gettext catalogues (``smsreply/translations/<lang>/LC_MESSAGES``, English
in the source, built with ``make messages``). The language is the ``lang`` cookie (set by
the switch link) or else the browser's ``Accept-Language``; French when neither says.
Times are shown in ``manager.timezone``. The API and the CLI do not translate: only the
manager's pages call gettext.

Example::

    init_app(app, "Europe/Paris")  # then gettext() in views and _() in templates
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g, request
from flask_babel import Babel
from werkzeug.datastructures import LanguageAccept

from ...settings import ConfigError

LANGUAGES = ("fr", "en")
DEFAULT = "fr"  # the service is French short codes; the seed's users read French
COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent.parent / "translations"


def choose(cookie: str | None, accept: LanguageAccept) -> str:
    """The ``lang`` cookie if it names a language, else the browser's best match."""
    if cookie in LANGUAGES:
        return cookie
    return accept.best_match(LANGUAGES, default=DEFAULT)


def current() -> str:
    """This request's language, chosen once."""
    if "lang" not in g:
        g.lang = choose(request.cookies.get(COOKIE), request.accept_languages)
    return g.lang


def check_timezone(name: object) -> str:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"manager.timezone: unknown time zone {name!r} (an IANA name such as Europe/Paris)"
        ) from None
    return str(name)


def init_app(app: Flask, timezone: object) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = "en"  # the language of the source strings
    app.config["BABEL_DEFAULT_TIMEZONE"] = check_timezone(timezone)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=current)
