"""Action ``url``: POST each reply to the customer's own URL, like OVH's ``cgiUrl``.

The five callback fields go as ``application/x-www-form-urlencoded``; network errors and
5xx answers are retried with backoff (``url.attempts``), within ``url.timeout`` each. With
``use_response``, a 2xx ``text/*`` body is the answer (judged by the same decision table as
a CGI script's output); otherwise the reply is only delivered, as OVH does.
"""

from __future__ import annotations

import time

import requests

from ..cgi import CgiRun, RawRun, decide
from .base import (
    Action,
    Outcome,
    ReplyContext,
    smart_option,
)
from .cgi import outcome_of


class UrlAction(Action):
    type = "url"
    session = requests.Session()  # connection reuse across replies

    @classmethod
    def validate(cls, options, resources) -> dict:
        return {
            "action": cls.type,
            "url": options["url"],
            "use_response": options.get("use_response", False),
            **smart_option(options),
        }

    def run(self, reply: ReplyContext) -> Outcome:
        settings = self.resources.settings
        url = self.options["url"]
        fields = reply.callback_fields()
        started = time.perf_counter()
        problem = ""
        for attempt in range(1, settings["url.attempts"] + 1):
            try:
                response = self.session.post(url, data=fields, timeout=settings["url.timeout"])
            except requests.RequestException as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code < 500:
                    return self._judge(response, attempt, time.perf_counter() - started)
                problem = f"HTTP {response.status_code}"
            if attempt < settings["url.attempts"]:
                time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
        return Outcome(
            "error",
            detail={
                "url": url,
                "error": "unreachable",
                "reason": problem,
                "attempts": settings["url.attempts"],
            },
        )

    def _judge(self, response: requests.Response, attempt: int, duration: float) -> Outcome:
        label = {"url": self.options["url"], "attempts": attempt}
        if not self.options["use_response"] and response.ok:
            return Outcome(
                "no-reply",
                detail=dict(label, status=response.status_code, duration=round(duration, 4)),
            )
        head = [f"Status: {response.status_code} {response.reason}"]
        for name in ("Content-Type", "X-CGI-State"):
            if name in response.headers:
                head.append(f"{name}: {response.headers[name]}")
        body = response.content[: self.resources.settings["cgi.max_output_bytes"]]
        stdout = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + body
        raw = RawRun(0, None, False, duration, stdout, b"", False, False)
        run = CgiRun(
            self.options["url"],
            decide(raw, self.resources.settings["cgi.max_answer_chars"]),
            None,
            None,
            duration,
            stdout[:2048].decode("utf-8", "replace"),
            "",
            {},
        )
        return outcome_of(run, label)
