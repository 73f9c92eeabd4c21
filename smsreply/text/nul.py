"""Text with a NUL character (``\\0``) is refused where it comes in, naming where it is.

No SMS carries a NUL, PostgreSQL cannot store one in text (it answered 500) and SQLite
stores it as given (``A\\0B`` reached the provider). So the API's JSON bodies, query
strings and forms, CSV files, the manager's forms and the CLI's files are checked as they
are read, and the texts the domain sends are checked again (``sending.check_text``).

Example::

    nul_path({"recipients": [{"prenom": "A\\0B"}]})  # "recipients[0].prenom"
    refuse_nul(data)                                  # ValidationError naming "recipients"
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ValidationError

NUL = "\x00"


def nul_path(data: object, path: str = "") -> str | None:
    """Where the first NUL is in ``data`` (JSON-like: texts, lists, objects), or None."""
    if isinstance(data, str):
        return path or "(body)" if NUL in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return where
            found = nul_path(value, where)
            if found:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = nul_path(value, f"{path}[{index}]")
            if found:
                return found
    return None


def refuse_nul(data: object, prefix: str = "") -> None:
    """A ValidationError (422) when ``data`` holds a NUL; its field is the top-level name."""
    path = nul_path(data, prefix)
    if path is not None:
        raise _error(path)


def refuse_nul_in_pairs(pairs: Iterable[tuple[str, str]], what: str) -> None:
    """The same for name/value pairs (a query string, a form): ``what`` says which."""
    for name, value in pairs:
        if NUL in name or NUL in value:
            raise _error(name.replace(NUL, "\\0"), what)


def _error(path: str, what: str = "") -> ValidationError:
    field = path.split(".")[0].split("[")[0]
    where = f"{what} field {path!r}" if what else repr(path)
    return ValidationError(
        f"{where} contains a NUL character (\\0), which no SMS or database text can hold",
        field=field,
        key="nul",
    )
