"""Reading recipients: a CSV document (streamed, any size, constant memory) or a JSON list,
as ``Line`` values — the line number, the number as written, and the other columns.

The CSV's first row names the columns when its first cell is not a phone number; the
number is the column called number/numero/phone/telephone/mobile/to (any case, accents
ignored), else the first one. The delimiter (``,`` ``;`` or tab) is read from the first
row, so spreadsheets saved in French (``;``) work as they are.

Example::

    for line in read_csv(open("clients.csv", "rb")):
        line.number, line.fields["prenom"]
"""

from __future__ import annotations

import codecs
import csv
import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..errors import ValidationError

NUMBER_COLUMNS = ("number", "numero", "phone", "telephone", "tel", "mobile", "portable", "to")
_LOOKS_LIKE_NUMBER = re.compile(r"[\s+()0-9.-]+")


@dataclass(frozen=True)
class Line:
    line: int  # 1-based, as a spreadsheet numbers it (the header is line 1)
    number: str
    fields: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=1024)  # a few column names, met on every line
def plain(name: str) -> str:
    """A column name as fields match it: trimmed, lower case, without accents."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _delimiter(first_row: str) -> str:
    return max((";", ",", "\t"), key=first_row.count) if first_row else ","


_LINE_END = re.compile(r"\r\n|\r|\n")  # Windows, Unix and old Mac ("CSV Macintosh")
_BLOCK = 1 << 16  # werkzeug's request stream reads a line in small pieces: read blocks


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    """The lines of ``stream`` decoded as UTF-8 (a BOM dropped), each with its line end;
    a block at a time, so memory stays flat whatever the size or the line ends."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    rest, number = "", 0
    while True:
        block = stream.read(_BLOCK)
        try:
            text = rest + decoder.decode(block, final=not block)
        except UnicodeDecodeError as error:
            line = number + 1 + block[: error.start].count(b"\n")
            raise ValidationError(
                f"the CSV is not UTF-8 text (line {line}); save it as CSV UTF-8",
                field="recipients",
            ) from None
        if "\x00" in text:
            _refuse_nul(text, number)
        lines, rest = _split(text, final=not block)
        number += len(lines)
        yield from lines
        if not block:
            if rest:
                yield rest
            return


def _split(text: str, final: bool) -> tuple[list[str], str]:
    """Whole lines of ``text`` with their ends, and what is left for the next block."""
    if "\r" not in text:  # the usual case, at C speed
        pieces = text.split("\n")
        return [piece + "\n" for piece in pieces[:-1]], pieces[-1]
    lines, start = [], 0
    for match in _LINE_END.finditer(text):
        if not final and match.end() == len(text) and match.group() == "\r":
            break  # a CR ending the block may be the first half of a CRLF
        lines.append(text[start : match.end()])
        start = match.end()
    return lines, text[start:]


def _refuse_nul(text: str, lines_before: int) -> None:
    number = lines_before + 1 + len(_LINE_END.findall(text[: text.index("\x00")]))
    raise ValidationError(
        f"the CSV has a NUL character (\\0) on line {number}: is it UTF-16? save it as CSV UTF-8",
        field="recipients",
        key="csv_nul",
        params={"line": number},
    )


def read_csv(stream: BinaryIO) -> tuple[list[str], Iterator[Line]]:
    """The column names (plain) and the lines of a CSV document read from ``stream``."""
    lines = _text_lines(stream)
    first = next(lines, "")
    if not first.strip():
        raise ValidationError("the CSV is empty", field="recipients")
    delimiter = _delimiter(first.splitlines()[0])
    head = next(csv.reader([first], delimiter=delimiter))
    if head and _LOOKS_LIKE_NUMBER.fullmatch(head[0] or "x"):
        columns, number_at, start = [], 0, [first]  # no header: the first row is a recipient
    else:
        columns = [plain(name) for name in head]
        known = [index for index, name in enumerate(columns) if name in NUMBER_COLUMNS]
        number_at, start = (known[0] if known else 0), []

    def chain() -> Iterator[str]:
        yield from start
        yield from lines

    def parse() -> Iterator[Line]:
        reader = csv.reader(chain(), delimiter=delimiter)
        offset = 0 if start else 1
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                number = row[number_at] if number_at < len(row) else ""
                values = {name: row[i] for i, name in enumerate(columns) if i < len(row)}
                yield Line(reader.line_num + offset, number.strip(), values)
        except csv.Error as error:
            raise ValidationError(
                f"the CSV cannot be read at line {reader.line_num + offset}: {error}",
                field="recipients",
            ) from None

    return columns, parse()


def read_json(recipients: object) -> tuple[list[str], Iterator[Line]]:
    """``["+336…", …]`` or ``[{"number": "+336…", "prenom": "Ana"}, …]``; lines from 1."""
    if not isinstance(recipients, list):
        raise ValidationError("'recipients' must be an array", field="recipients")
    columns: set[str] = set()
    for item in recipients:
        if isinstance(item, dict):
            columns.update(plain(str(key)) for key in item)
        elif not isinstance(item, str):
            raise ValidationError(
                "each recipient must be a number string or an object with 'number'",
                field="recipients",
            )

    def parse() -> Iterator[Line]:
        for index, item in enumerate(recipients, start=1):
            if isinstance(item, str):
                yield Line(index, item.strip())
                continue
            values = {plain(str(key)): _json_text(value, index) for key, value in item.items()}
            values = {name: value for name, value in values.items() if value is not None}
            number = next((values[name] for name in NUMBER_COLUMNS if name in values), "")
            yield Line(index, number.strip(), values)

    return sorted(columns), parse()


def _json_text(value: object, index: int) -> str | None:
    """A recipient's field as text: a number as JSON writes it, ``null`` as no value (the
    line is then refused if the message uses it); anything else is the client's mistake."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValidationError(
        f"recipient {index}: a field must be text, a number or null, not {json.dumps(value)[:40]}",
        field="recipients",
    )
