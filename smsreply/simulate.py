"""A reply typed by hand, posted as the operator posts it: over HTTP, to the running server.

``simulate-reply`` and the manager's test console both use ``post_reply``: a real POST
to the server's OVH-shaped callback (``server.base_url`` + ``/callbacks/ovh/<token>``), so
scripts see the same ``HTTP_HOST``, headers and ``REMOTE_ADDR`` as with a real operator,
and the server's own workers handle the reply. ``wait_until_done`` then follows it to its
end (the answer sent or refused). Without a running server there is nothing to post to:
``ServerUnreachable`` says to start it, or which base URL to give.

Example::

    result = post_reply("http://127.0.0.1:8080", token, {"senderid": "+33612345678", ...})
    reply = wait_until_done(service, result["reply_id"])
"""

from __future__ import annotations

import secrets
import time

import requests

from . import views
from .errors import SmsReplyError

WAIT_SECONDS = 15.0


class ServerUnreachable(SmsReplyError):
    """No smsreply server answers at the base URL."""


class CallbackRefused(SmsReplyError):
    """The callback answered an error (a bad field); ``message`` is the server's."""

    def __init__(self, message: str, http_status: int) -> None:
        super().__init__(message)
        self.http_status = http_status


def new_provider_id() -> str:
    """A numeric id, as OVH's reply ids are (``123456``)."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def post_reply(
    base_url: str, token: str, fields: dict[str, str], headers: dict[str, str] | None = None
) -> dict:
    """POST ``fields`` to the reply callback; the callback's JSON answer."""
    url = f"{base_url.rstrip('/')}/callbacks/ovh/{token}"
    try:
        response = requests.post(url, data=fields, headers=headers or {}, timeout=30)
    except requests.RequestException as error:
        raise ServerUnreachable(
            f"no smsreply server answers at {base_url} ({type(error).__name__}): start it "
            "(make run) or give its address (--base-url, or the server.base_url setting)"
        ) from None
    try:
        result = response.json()
    except ValueError:
        result = {}
    if response.status_code != 200:
        message = (result.get("error") or {}).get("message") or f"HTTP {response.status_code}"
        raise CallbackRefused(message, response.status_code)
    if "reply_id" not in result:
        raise ServerUnreachable(f"{url} is not an smsreply reply callback")
    return result


def finished(reply: dict) -> bool:
    answer = reply["answer"]
    return reply["status"] != "pending" and not (
        answer and answer["status"] in ("queued", "sending")
    )


def wait_until_done(service, reply_id: int, seconds: float = WAIT_SECONDS) -> dict:
    """The reply once handled and its answer sent; unclaimed work is done here."""
    deadline = time.monotonic() + seconds
    while True:
        service.drain()  # takes only unclaimed work: a server's worker keeps its own
        reply = views.reply_detail(service.store, reply_id)
        if finished(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.05)
