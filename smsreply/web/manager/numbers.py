"""Numbers and percentages on a page, written the locale's way with Babel.

« 1 234 » and « 64,0 % » on a French page, "1,234" and "64.0%" on an English one.

Example::

    percent(0.64)       # "64,0 %" (French)
    number(-3, signed=True)  # "-3"; number(5, signed=True): "+5"
"""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from flask_babel import get_locale


def percent(value: float) -> str:
    """``value`` (0.64) as a percentage with one decimal, in the page's locale."""
    locale = get_locale()
    pattern = locale.percent_formats[None].pattern.replace("0", "0.0", 1)
    return format_percent(value, pattern, locale=locale)


def number(value: int | float, signed: bool = False) -> str:
    """``value`` with the locale's group separator (and a sign, when ``signed``)."""
    text = format_decimal(value, locale=get_locale())
    return f"+{text}" if signed and value > 0 else text
