"""Reading callback bytes whose encoding nobody documents: UTF-8, else Windows-1252.

OVH does not say how its callback is encoded, and gateways differ: ``message=d%E9j%E0``
is Latin-1, which strict UTF-8 refused (a 400, so the reply was lost for good). Bytes are
read as UTF-8 when they are valid UTF-8 (an accident for any other text of some
length), else as Windows-1252 as browsers define it (every byte decodes; the five it
leaves undefined stay C1 controls, as in Latin-1). The caller keeps which one was used,
and the raw request when it was not UTF-8.

Example::

    decode(b"d\\xe9j\\xe0")  # ("déjà", "windows-1252")
    form_pairs(b"message=d%C3%A9j%C3%A0", 32)  # ({"message": "déjà"}, "utf-8")
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote_from_bytes

UTF8 = "utf-8"
WINDOWS_1252 = "windows-1252"
# Latin-1 text -> Windows-1252 text: only 0x80-0x9F differ (€, ‚, ƒ, „ … Ÿ).
_CP1252 = {}
for _byte in range(0x80, 0xA0):
    try:
        _CP1252[chr(_byte)] = bytes([_byte]).decode("cp1252")
    except UnicodeDecodeError:
        continue
_TABLE = str.maketrans(_CP1252)
# Kept as is in raw_request: printable ASCII but "%" (so the escaping can be undone).
_SAFE = bytes(byte for byte in range(0x20, 0x7F) if byte != ord("%"))


def decode(raw: bytes) -> tuple[str, str]:
    """``raw`` as text, and the charset used."""
    try:
        return raw.decode(UTF8), UTF8
    except UnicodeDecodeError:
        return raw.decode("latin-1").translate(_TABLE), WINDOWS_1252


def form_pairs(raw: bytes, max_fields: int) -> tuple[dict[str, str], str]:
    """An urlencoded form or query, and the charset its bytes were read in.

    ``ValueError`` for more than ``max_fields`` fields."""
    options = {"keep_blank_values": True, "errors": "strict", "max_num_fields": max_fields}
    try:
        pairs = parse_qsl(raw.decode(UTF8), encoding=UTF8, **options)
        return dict(pairs), UTF8
    except UnicodeDecodeError:
        pairs = parse_qsl(raw.decode("latin-1"), encoding="latin-1", **options)
        return {key.translate(_TABLE): value.translate(_TABLE) for key, value in pairs}, (
            WINDOWS_1252
        )


def escaped(raw: bytes) -> str:
    """``raw`` as ASCII text that gives back the same bytes (``urllib.parse.unquote_to_bytes``)."""
    return quote_from_bytes(raw, safe=_SAFE)
