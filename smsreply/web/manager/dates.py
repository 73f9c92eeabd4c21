"""Times in the manager: the installation's time zone, the reader's locale, UTC on hover.

The store keeps ISO 8601 UTC (``2026-11-27T09:42:00.000000+00:00``), and so do the API and
the CLI. A page shows ``manager.timezone`` (Europe/Paris by default) written the locale's
way — « 27 nov. 2026, 10:42 », "Nov 27, 2026, 10:42 AM" — inside a ``<time>`` element whose
``datetime`` is the exact instant and whose ``title`` gives it in UTC.

Example::

    when("2026-11-27T09:42:00.000000+00:00")  # on a French page:
    # <time datetime="2026-11-27T09:42:00Z" title="2026-11-27 09:42:00 UTC">
    #   27 nov. 2026, 10:42</time>
"""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_date, format_time, get_datetime_format
from flask_babel import get_locale, get_timezone
from markupsafe import Markup


def local_text(moment: datetime) -> str:
    """``moment`` in the manager's time zone: the locale's medium date, short time."""
    locale, local = get_locale(), moment.astimezone(get_timezone())
    pattern = get_datetime_format("medium", locale=locale)
    date = format_date(local, "medium", locale=locale)
    return pattern.replace("{1}", date).replace("{0}", format_time(local, "short", locale=locale))


def when(value: str | None) -> Markup | str:
    """A stored ISO 8601 time as a ``<time>`` element; text that is not a time, as is."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"), utc.strftime("%Y-%m-%d %H:%M:%S UTC"), local_text(utc)
    )
