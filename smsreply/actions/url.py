"""Action ``url``: POST each reply to the customer's own URL, like OVH's ``cgiUrl``.

The callback's fields (OVH's five, ``keyword``, any other) go as
``application/x-www-form-urlencoded``; network errors and 5xx answers are retried with
backoff (``url.attempts``). ``url.timeout`` bounds each whole exchange, from connecting to
the last byte of the answer: a server that trickles its answer is cut at the deadline, not
kept alive by each byte. The requests go over the kept-alive connections the ``http``
provider uses (``url_client.py``), one pool per customer host. With ``use_response``, a
2xx ``text/plain`` body is the answer (judged by the same decision table as a CGI script's
output: the response's status, headers and body go to ``judge`` directly); otherwise the
reply is only delivered, as OVH does.

A redirect is not followed unless the customer sets ``follow_redirects`` (a 307 would
re-post the reply to whatever server it names): it is an error naming where it pointed.
A ``user:password@`` in the URL authenticates the request but is never recorded: the
outcome (and the manager) show ``redacted(url)``.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

from ..cgi import CgiRun, judge
from ..providers.http_connections import Answer, NoAnswer, Unreachable
from .base import Action, Outcome, ReplyContext, smart_option
from .cgi import outcome_of
from .url_client import REDIRECTS

MASK = "***"


def redacted(url: str) -> str:
    """``url`` with the password (or a lone user name, often a token) of its
    ``user:password@`` replaced by ``***``; other URLs unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, has_password, _ = userinfo.partition(":")
    shown = f"{user}:{MASK}" if has_password else MASK
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def _without_secret(text: str, url: str) -> str:
    password = urlsplit(url).password if "@" in url else None
    return text.replace(password, MASK) if password else text


class UrlAction(Action):
    type = "url"

    @classmethod
    def validate(cls, options, resources) -> dict:
        normalised = {
            "action": cls.type,
            "url": options["url"],
            "use_response": options.get("use_response", False),
            **smart_option(options),
        }
        if options.get("follow_redirects"):  # only when set: options saved before keep their shape
            normalised["follow_redirects"] = True
        return normalised

    def run(self, reply: ReplyContext) -> Outcome:
        settings = self.resources.settings
        url = self.options["url"]
        fields = reply.callback_fields()
        started = time.perf_counter()
        problem, error_kind = "", "unreachable"
        timeout = settings["url.timeout"]
        for attempt in range(1, settings["url.attempts"] + 1):
            try:
                answer = self.resources.url_client.post(
                    url, fields, timeout, self.options.get("follow_redirects", False)
                )
            except NoAnswer:
                problem, error_kind = f"no whole answer within url.timeout={timeout}s", "timeout"
            except Unreachable as error:  # names the failure, never the URL
                problem, error_kind = _without_secret(f"unreachable: {error}", url), "unreachable"
            else:
                if answer.status < 500:
                    return self._judge(answer, attempt, time.perf_counter() - started)
                problem, error_kind = f"HTTP {answer.status}", "unreachable"
            if attempt < settings["url.attempts"]:
                time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
        return Outcome(
            "error",
            detail={
                "url": redacted(url),
                "error": error_kind,
                "reason": problem,
                "attempts": settings["url.attempts"],
            },
        )

    def _judge(self, answer: Answer, attempt: int, duration: float) -> Outcome:
        shown = redacted(self.options["url"])
        label = {"url": shown, "attempts": attempt}
        location = answer.headers.get("Location")
        if answer.status in REDIRECTS and location:  # only when follow_redirects is off
            location = redacted(location)
            reason = f"HTTP {answer.status} to {location}: not followed (follow_redirects)"
            return Outcome(
                "error",
                detail=dict(label, error="redirected", status=answer.status, reason=reason),
            )
        if not self.options["use_response"] and answer.status < 400:
            return Outcome(
                "no-reply",
                detail=dict(label, status=answer.status, duration=round(duration, 4)),
            )
        headers = {
            name.lower(): value
            for name in ("Content-Type", "X-CGI-State")
            if (value := answer.headers.get(name)) is not None
        }
        limit = self.resources.settings["cgi.max_output_bytes"]
        body = answer.body
        status = f"{answer.status} {answer.reason or 'Status'}"
        settings = self.resources.settings
        outcome = judge(
            status,
            headers,
            body[:limit],
            settings["cgi.max_answer_chars"],
            self.resources.answer_types,
            truncated=len(body) > limit,
        )
        run = CgiRun(
            shown,
            outcome,
            None,
            None,
            duration,
            body[:2048].decode("utf-8", "replace"),
            "",
            {},
        )
        return outcome_of(run, label)
