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
import io
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


class _Blocks(io.RawIOBase):
    """Any readable stream seen through large reads: werkzeug's request stream reads a
    line in small pieces (13 s for 100,000 lines); a ``BufferedReader`` on this, 0.1 s."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    lines = io.BufferedReader(_Blocks(stream), 1 << 16)
    for number, raw in enumerate(lines, start=1):
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError:
            raise ValidationError(
                f"the CSV is not UTF-8 text (line {number}); save it as CSV UTF-8",
                field="recipients",
            ) from None


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
            values = {plain(str(key)): str(value) for key, value in item.items()}
            number = next((values[name] for name in NUMBER_COLUMNS if name in values), "")
            yield Line(index, number.strip(), values)

    return sorted(columns), parse()
