"""Strict reading of a request body as a JSON object (its fields are then checked by the
route's model, ``contract.py``).

Each failure is a 4xx with a message that names the problem: wrong content type (415),
a body that cannot be read (broken chunked encoding, cut short) or bytes that are not UTF-8
or not JSON (400), JSON that is not an object, or a NUL character in any text of the body
or the query (422).
"""

from __future__ import annotations

import json

from flask import request
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType
from werkzeug.wrappers import Request

from ..errors import ValidationError
from ..text.nul import refuse_nul, refuse_nul_in_pairs


def read_body(cache: bool = True, source: Request | None = None) -> bytes:
    """The request body (of ``source``, else Flask's current request); one the server cannot
    read is the client's fault: a 400, not a 500."""
    try:
        return (source or request).get_data(cache=cache)
    except HTTPException:  # 413: larger than server.max_body_bytes
        raise
    except Exception as error:  # gunicorn's parse errors (bad chunk size...) are plain Exceptions
        raise BadRequest(f"the request body cannot be read ({type(error).__name__})") from None


def parse_json(text: str) -> object:
    """``text`` as JSON, or a 400 naming what is wrong: malformed, nested too deep for the
    parser, a number too long to convert, or a lone surrogate (text no database can store)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise BadRequest("the JSON is nested too deeply") from None
    except ValueError as error:  # Python refuses ints over 4,300 digits
        raise BadRequest(f"a JSON number is too long: {error}") from None
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("the JSON holds a lone surrogate (\\ud800-\\udfff)") from None
    return data


def json_object() -> dict:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
    raw = read_body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not valid UTF-8 (byte {error.start})") from None
    data = parse_json(text)
    if not isinstance(data, dict):
        raise ValidationError("the body must be a JSON object")
    refuse_nul(data)
    return data


def refuse_nul_in_query() -> None:
    """Before a view: a NUL in the query string's names or values is a 422."""
    refuse_nul_in_pairs(request.args.items(multi=True), "query")
