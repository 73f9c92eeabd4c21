"""A fake mobile operator behind Kannel's generic HTTP SMSC, over real HTTP on 127.0.0.1.

Kannel hands it each MT as ``GET /mt?from=%P&to=%p&text=%b&coding=%c&dlr-mask=%d``: the
text arrives as raw bytes, UTF-8 or (``coding=2``) UTF-16BE, and is decoded here as a
phone would. It answers ``OK <id>``, the id Kannel keeps for delivery reports. The other
way, it plays the network: :meth:`send_mo` delivers a phone's SMS to Kannel (UCS-2, as
phones send accents and emoji) and :meth:`send_dlr` a delivery report.

Example::

    with FakeOperator() as operator:
        operator.url                                   # Kannel's send-url base
        operator.send_mo(kannel.smsc_url, "+33612345678", "38123", "Oui 👍")
        operator.send_dlr(kannel.smsc_url, operator.received[0]["id"], "+33612345678", 1)
"""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, quote, quote_from_bytes

import requests
from werkzeug.wrappers import Request, Response

from tests.support.httpapp import ServedInThread, quiet_wsgi_server


class FakeOperator(ServedInThread):
    def __init__(self) -> None:
        self.received: list[dict] = []
        self._ids = itertools.count(1)
        self.serve(quiet_wsgi_server(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}/mt"

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path != "/mt":
            return Response("not found", 404)(environ, start_response)
        # latin-1 maps each byte to one code point: the raw bytes of every value, undecoded
        query = parse_qs(request.query_string.decode("ascii"), encoding="latin-1")
        raw = {name: values[0].encode("latin-1") for name, values in query.items()}
        coding = raw.get("coding", b"0").decode()
        message_id = f"op-{next(self._ids)}"
        self.received.append(
            {
                "id": message_id,
                "from": raw["from"].decode(),
                "to": raw["to"].decode(),
                "text": raw["text"].decode("utf-16-be" if coding == "2" else "utf-8"),
                "coding": coding,
                "dlr_mask": raw.get("dlr-mask", b"").decode(),
            }
        )
        return Response(f"OK {message_id}", 200, mimetype="text/plain")(environ, start_response)

    @staticmethod
    def send_mo(smsc_url: str, sender: str, receiver: str, text: str) -> requests.Response:
        """A phone's SMS to ``receiver``, in UCS-2 (``coding=2``, UTF-16BE bytes)."""
        query = (
            f"from={quote(sender)}&to={quote(receiver)}&coding=2"
            f"&text={quote_from_bytes(text.encode('utf-16-be'))}"
        )
        return requests.get(f"{smsc_url}?{query}", timeout=10)

    @staticmethod
    def send_dlr(smsc_url: str, message_id: str, receiver: str, dlr_type: int) -> requests.Response:
        """A delivery report for the MT we answered ``OK <message_id>`` (1 = delivered)."""
        params = {"dlr-mid": message_id, "dlr-mask": str(dlr_type), "to": receiver}
        return requests.get(smsc_url, params=params, timeout=10)
