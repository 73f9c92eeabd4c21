"""``Idempotency-Key`` on ``POST /api/campaigns`` and ``POST /api/messages``: a request sent
again (a timeout, a lost answer) has one effect and gets the first answer again.

The key (1–255 printable ASCII characters, e.g. a UUID) is the client's, scoped by the
API key that sent it. The first request with it reserves it in the database (one
statement: of two requests at once, one runs; ``store/idempotency.py``) and its answer —
status and body, errors included — is kept for 24 h. The same key again: the same body
gives that answer again (``Idempotent-Replayed: true``); another body or URL is a 422.
While the first still runs, the second waits for its answer (up to ``WAIT_SECONDS``, then
409). An answer of ours that is a 5xx is not kept: the key is free for a retry. The body is
hashed whole before the view runs (spooled to a temporary file past 1 MB), so a body cut
short is refused (400) before the key is reserved.

Example::

    @api.post("/messages", …, headers=(IDEMPOTENCY_HEADER,), wrappers=(idempotent,))
    def send_message(body: SendMessage): ...

It runs before the route's body is validated (``wrappers``: it reads the body as it arrives).
"""

from __future__ import annotations

import functools
import hashlib
import re
import tempfile
import time

from flask import Response, after_this_request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import Conflict, ValidationError
from .contract import Header

HEADER = "Idempotency-Key"
KEPT_SECONDS = 24 * 3600
WAIT_SECONDS = 10.0
KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
SPOOL_BYTES = 1 << 20
IDEMPOTENCY_HEADER = Header(
    HEADER,
    "The client's key for this request (a UUID): sent again within 24 h with the same body, "
    "the first answer again (Idempotent-Replayed: true) and no second effect; with another "
    "body, 422; while the first runs, it waits for its answer (409 after 10 s)",
    schema={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
)


def idempotent(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not KEY.fullmatch(key):
            raise ValidationError(
                f"{HEADER} must be 1 to 255 printable ASCII characters without spaces "
                "(a UUID, for example)",
                field=HEADER,
            )
        store = current_app.extensions["smsreply"].store
        scope = api_scope()
        digest = request_hash()
        kept = store.reserve_request(scope, key, digest, time.time(), KEPT_SECONDS)
        if kept is not None:
            return replay(store, scope, key, kept, digest)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except Exception as error:
            try:
                response = current_app.make_response(current_app.handle_user_exception(error))
            except Exception:
                store.forget_request(scope, key)
                raise
        if response.status_code >= 500:
            store.forget_request(scope, key)
        else:
            store.keep_answer(scope, key, response.status_code, response.get_data(as_text=True))
        return response

    return wrapper


def request_key(key: str) -> str:
    """What a campaign made under ``key`` records (``campaigns.request_key``)."""
    return f"{api_scope()}:{key}"


def api_scope() -> str:
    """Keys are the client's own: two API keys may use the same one."""
    _, _, api_key = request.headers.get("Authorization", "").partition(" ")
    return "api:" + hashlib.sha256(api_key.strip().encode()).hexdigest()[:16]


def request_hash() -> str:
    """SHA-256 of the method, path, query, content type and whole body; the body is then
    read again by the view from a spooled copy."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    digest = hashlib.sha256()
    head = [request.method, request.path, request.query_string.decode("latin-1")]
    digest.update("\n".join([*head, request.headers.get("Content-Type", ""), ""]).encode())
    spool = tempfile.SpooledTemporaryFile(SPOOL_BYTES)  # noqa: SIM115 — closed with the request
    source, size = request.environ["wsgi.input"], 0
    while chunk := source.read(1 << 16):
        size += len(chunk)
        if limit is not None and size > limit:
            spool.close()
            raise RequestEntityTooLarge()
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request.environ["wsgi.input"] = spool
    request.environ["wsgi.input_terminated"] = True  # read to its end: it is all there
    request.environ["CONTENT_LENGTH"] = str(size)
    request.environ.pop("HTTP_TRANSFER_ENCODING", None)

    @after_this_request
    def close_spool(response: Response) -> Response:
        spool.close()
        return response

    return digest.hexdigest()


def replay(store, scope: str, key: str, kept: dict, digest: str) -> Response:
    if kept["request_hash"] != digest:
        raise ValidationError(
            f"this {HEADER} was used in the last 24 h for another request (another body "
            "or URL): use a new key for a new request",
            field=HEADER,
        )
    deadline = time.monotonic() + WAIT_SECONDS
    while kept is not None and kept["status"] is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the first request with this key is still running
        kept = store.kept_request(scope, key)
    if kept is None or kept["status"] is None:
        raise Conflict(
            f"the first request with this {HEADER} has not finished (or failed): "
            "send it again in a moment"
        )
    response = Response(kept["body"], kept["status"], mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response
