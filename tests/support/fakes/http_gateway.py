"""A fake SMS gateway's ``/send`` over real HTTP on 127.0.0.1, answering as Jasmin or Vonage.

It checks what a gateway checks: the expected headers (401 otherwise) and the required
fields (400 ``Error "Mandatory argument…"`` otherwise), read from the query (GET), a form
or a JSON body. Jasmin answers ``Success "<uuid>"``; Vonage answers 200 with a JSON
report, its errors included. Every request is kept in ``received``, with the time it
arrived (``at``, ``time.time()``) for tests of the sending rate.
``VONAGE_SETTINGS`` are smsreply's ``http.*`` settings for Vonage's SMS API.

Example::

    with FakeGateway(headers={"Authorization": "Bearer t"}, required=("to",)) as gateway:
        gateway.fail_next(503, 'Error "busy"'); gateway.hang_next(2.0); gateway.url
"""

from __future__ import annotations

import json
import time
import uuid

from werkzeug.wrappers import Request, Response

from tests.support.httpapp import ServedInThread, quiet_wsgi_server

JASMIN_RESPONSE_ID = 'text:Success "([^"]+)"'
# smsreply's http.* settings for Vonage's SMS API (docs/providers-http.md), without "http."
VONAGE_SETTINGS = {
    "send_format": "json",
    "send_fields": json.dumps(
        {"api_key": "k3y", "api_secret": "s3cr3t-v", "from": "{shortcode}", "to": "{to_digits}"}
        | {"text": "{message}", "type": "unicode", "client-ref": "{tag}"}
    ),
    "response_id": "messages.0.message-id",
    "sender": "33644630000",
    "reply_fields": '{"id": "messageId", "sender": "msisdn", "message": "text", "shortcode": "to"}',
    "dlr_fields": '{"id": "messageId", "status": "status"}',
}


class FakeGateway(ServedInThread):
    def __init__(
        self,
        headers: dict[str, str] | None = None,
        required: tuple[str, ...] = ("to",),
        answer: str = "jasmin",
    ) -> None:
        self.headers = headers or {}
        self.required = required
        self.answer = answer
        self.received: list[dict] = []
        self._failures: list[tuple[int, str]] = []
        self._hang = 0.0
        self.serve(quiet_wsgi_server(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"

    def fail_next(self, status: int, body: str) -> None:
        self._failures.append((status, body))

    def hang_next(self, seconds: float) -> None:
        self._hang = seconds

    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.path != "/send":
            return Response("Not found", 404)
        if self._hang:
            time.sleep(self._hang)
            self._hang = 0.0
        if request.method == "GET":
            fields = request.args.to_dict()
        elif request.mimetype == "application/json":
            fields = request.get_json()
        else:
            fields = request.form.to_dict()
        self.received.append(
            {
                "at": time.time(),
                "method": request.method,
                "mimetype": request.mimetype,
                "fields": fields,
            }
            | {"headers": dict(request.headers)}
        )
        if any(request.headers.get(name) != value for name, value in self.headers.items()):
            return Response('Error "Authentication failure for username:foo"', 401)
        missing = [name for name in self.required if name not in fields]
        if missing:
            return Response(f'Error "Mandatory argument {missing[0]} is not found."', 400)
        if self._failures:
            status, body = self._failures.pop(0)
            return Response(body, status)
        message_id = str(uuid.uuid4())
        if self.answer == "vonage":
            report = {"to": fields["to"], "message-id": message_id, "status": "0"}
            body = {"message-count": "1", "messages": [report]}
            return Response(json.dumps(body), 200, mimetype="application/json")
        return Response(f'Success "{message_id}"', 200, mimetype="text/plain")
