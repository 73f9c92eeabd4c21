"""A fake of OVH's API v1 ``/sms`` calls, served over real HTTP on 127.0.0.1.

It checks what the real API checks, so the stock ``ovh`` client works against it: open
``GET /1.0/auth/time``; elsewhere a known application key (403 INVALID_KEY) and consumer
key (403 NOT_CREDENTIAL / INVALID_CREDENTIAL), a timestamp within 60 s (400
QUERY_TIME_OUT) and the signature over the full URL and raw body (400
INVALID_SIGNATURE). Jobs follow ``docs/providers-ovh.md`` (section 6, rules at its top).

Example::

    with FakeOvhApi("ak", "as", "ck", "sms-ab12345-1", credits=10) as fake:
        fake.fail_next(500, None, "Internal error"); fake.hang_next(2.0); fake.url
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
import time
from datetime import UTC, datetime
from http import HTTPStatus

import phonenumbers
from werkzeug.wrappers import Request, Response

from tests.support.httpapp import ServedInThread, quiet_wsgi_server

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")  # two septets each
STOP_CLAUSE = "\nSTOP:36111"
CONTACT = re.compile(r"https?://|www\.|\S+@\S+\.\w+|\b[\w-]+\.(fr|com|net|org|eu|io|ly)\b", re.I)
ENUMS = {
    "charset": {"UTF-8"},
    "class": {"flash", "phoneDisplay", "sim", "toolkit"},
    "coding": {"7bit", "8bit"},
    "priority": {"high", "low", "medium", "veryLow"},
}
ROUTE = re.compile(r"/sms(?:/([^/]+)/(jobs|outgoing|incoming)(?:/(\d+))?)?")
CALLS = {  # (method, collection, on one item) that the fake serves
    ("GET", None, False),
    ("POST", "jobs", False),
    ("GET", "outgoing", False),
    ("GET", "outgoing", True),
    ("GET", "incoming", False),
    ("GET", "incoming", True),
    ("DELETE", "incoming", True),
}


def segments(message: str) -> int:
    """SMS parts for ``message``: GSM-7 160/153 (extensions count 2), else UCS-2 70/67."""
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in message):
        length = sum(2 if char in GSM_EXTENSION else 1 for char in message)
        return 1 if length <= 160 else math.ceil(length / 153)
    length = len(message.encode("utf-16-le")) // 2
    return 1 if length <= 70 else math.ceil(length / 67)


def is_metropolitan_mobile(receiver: str) -> bool:
    """Whether OVH's short codes reach ``receiver`` (French mobiles outside the DOM)."""
    text = "+" + receiver[2:] if receiver.startswith("00") else receiver
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return False
    mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    return mobile and phonenumbers.region_code_for_number(number) == "FR"


def _now(clock_offset: float = 0) -> str:
    return datetime.fromtimestamp(time.time() + clock_offset, UTC).isoformat(timespec="seconds")


class Refused(Exception):
    """An OVH-style error answer: ``{"errorCode": …, "httpCode": …, "message": …}``."""

    def __init__(self, status: int, error_code: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"httpCode": f"{status} {HTTPStatus(status).phrase}", "message": message}
        if error_code:
            self.body["errorCode"] = error_code


class FakeOvhApi(ServedInThread):
    """One OVH account with one SMS service; start it with ``with`` or ``start()``."""

    def __init__(
        self, app_key: str, app_secret: str, consumer_key: str, service_name: str, credits=100.0
    ) -> None:
        self.app_key, self.app_secret = app_key, app_secret
        self.consumer_key, self.service_name = consumer_key, service_name
        self.credits = float(credits)
        self.clock_offset = 0  # seconds OVH's clock is ahead of ours
        self.jobs: list[dict] = []  # accepted job bodies, as sent
        self.outgoing: dict[int, dict] = {}  # sms.Outgoing by id
        self.incoming: dict[int, dict] = {}  # sms.Incoming by id: seed it, or add_incoming()
        self.calls: list[tuple[str, str]] = []  # (method, full URL) of every request
        self._failures: list[Refused] = []
        self._hangs: list[float] = []
        self._next_id = 10867690
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.serve(quiet_wsgi_server(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}/1.0"

    def start(self) -> FakeOvhApi:
        return self.__enter__()

    def stop(self) -> None:
        self.__exit__()

    def stop_serving(self) -> None:
        self._stopping.set()  # cut any hang short
        super().stop_serving()

    def fail_next(self, status: int, errorCode: str | None, message: str) -> None:  # noqa: N803
        """Answer the next authenticated call with this error instead."""
        self._failures.append(Refused(status, errorCode, message))

    def hang_next(self, seconds: float) -> None:
        """Carry out the next authenticated call, then wait ``seconds`` before answering."""
        self._hangs.append(seconds)

    def add_incoming(self, sender: str, message: str, tag: str | None = None) -> int:
        """Record a reply as OVH does when a recipient answers; return its id."""
        new_id = self._new_id()
        self.incoming[new_id] = {
            "creationDatetime": _now(self.clock_offset),
            "credits": 1.0,
            "id": new_id,
        }
        self.incoming[new_id].update(message=message, sender=sender, tag=tag or "")
        return new_id

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def __call__(self, environ: dict, start_response):
        request, raw_uri = Request(environ), environ["RAW_URI"]
        target = self.url + raw_uri.removeprefix("/1.0")
        self.calls.append((request.method, target))
        status, hang = 200, 0.0
        try:
            path = request.path.removeprefix("/1.0")
            if not raw_uri.startswith("/1.0/"):
                raise Refused(404, None, "Got an invalid (or empty) URL")
            if request.method == "GET" and path == "/auth/time":
                payload = int(time.time()) + self.clock_offset
            else:
                self._authenticate(request, target)
                with self._lock:
                    if self._failures:
                        raise self._failures.pop(0)
                    hang = self._hangs.pop(0) if self._hangs else 0.0
                payload = self._route(request, path)
        except Refused as refusal:
            status, payload = refusal.status, refusal.body
        self._stopping.wait(hang)
        response = Response(json.dumps(payload), status=status, mimetype="application/json")
        return response(environ, start_response)

    def _authenticate(self, request: Request, target: str) -> None:
        headers = request.headers
        if headers.get("X-Ovh-Application") != self.app_key:
            raise Refused(403, "INVALID_KEY", "Invalid application key")
        consumer = headers.get("X-Ovh-Consumer")
        if not consumer:
            raise Refused(403, "NOT_CREDENTIAL", "You must login first")
        if consumer != self.consumer_key:
            raise Refused(403, "INVALID_CREDENTIAL", "This credential does not exist")
        timestamp = headers.get("X-Ovh-Timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time() - self.clock_offset) > 60:
            raise Refused(400, "QUERY_TIME_OUT", "Query out of time")
        body = request.get_data(as_text=True)
        text = "+".join([self.app_secret, consumer, request.method, target, body, timestamp])
        if headers.get("X-Ovh-Signature") != "$1$" + hashlib.sha1(text.encode()).hexdigest():
            raise Refused(400, "INVALID_SIGNATURE", "Invalid signature")

    def _route(self, request: Request, path: str) -> object:
        match = ROUTE.fullmatch(path)
        if not match:
            raise Refused(404, None, "Got an invalid (or empty) URL")
        service, kind, item = match.groups()
        if (request.method, kind, item is not None) not in CALLS:
            raise Refused(405, None, f"Method {request.method} not allowed")
        if service is None:
            return [self.service_name]
        if service != self.service_name:
            raise Refused(
                404, None, f"The requested object (serviceName = {service}) does not exist"
            )
        if kind == "jobs":
            try:
                return self._post_job(json.loads(request.get_data(as_text=True) or "{}"))
            except (ValueError, AttributeError):
                raise Refused(400, None, "Body must be a JSON object") from None
        table = self.outgoing if kind == "outgoing" else self.incoming
        if item is None:
            wanted = {
                key: request.args[key]
                for key in ("tag", "receiver", "sender")
                if key in request.args
            }
            rows = list(table.values())
            return sorted(
                row["id"] for row in rows if all(row.get(k) == v for k, v in wanted.items())
            )
        if int(item) not in table:
            raise Refused(404, None, f"The requested object (id = {item}) does not exist")
        if request.method == "DELETE":
            del table[int(item)]
            return None  # OVH answers ``null``
        return table[int(item)]

    def _post_job(self, body: dict) -> dict:
        message, receivers = body.get("message"), body.get("receivers")
        if not isinstance(message, str) or not message:
            raise Refused(400, None, "[message] Property is mandatory")
        if not isinstance(receivers, list) or not all(isinstance(r, str) for r in receivers):
            raise Refused(400, None, "[receivers] Invalid type, expected a list of strings")
        for field, allowed in ENUMS.items():
            if body.get(field) is not None and body[field] not in allowed:
                raise Refused(400, None, f"[{field}] Invalid value {body[field]!r}")
        shortcode = body.get("senderForResponse") is True
        if shortcode and CONTACT.search(message):
            raise Refused(400, None, "cannot send contact information with shortcode")
        valid = [r for r in receivers if is_metropolitan_mobile(r) or not shortcode]
        with_stop = not shortcode and not body.get("noStopClause")
        parts = segments(message + (STOP_CLAUSE if with_stop else ""))
        with self._lock:
            if parts * len(valid) > self.credits:
                raise Refused(403, "FORBIDDEN", "Not enough credits to send this SMS")
            self.credits -= parts * len(valid)
        sender = str(random.randint(30000, 89999)) if shortcode else body.get("sender")
        ids = [self._new_id() for _ in valid]
        for new_id, receiver in zip(ids, valid, strict=True):
            row = {"id": new_id, "receiver": receiver, "message": message, "tag": body.get("tag")}
            row.update(sender=sender, numberOfSms=parts, credits=float(parts), ptt=4)
            self.outgoing[new_id] = row | {"creationDatetime": _now(self.clock_offset)}
        self.jobs += [body] if ids else []
        return {
            "creditsLeft": self.credits,
            "ids": ids,
            "invalidReceivers": [r for r in receivers if r not in valid],
            "tag": body.get("tag"),
            "totalCreditsRemoved": float(parts * len(valid)),
            "validReceivers": valid,
        }
