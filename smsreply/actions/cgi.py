"""Action ``cgi``: run a customer's script from ``cgi-bin/`` as classic CGI (RFC 3875).

The script is invoked as if the provider's callback had been posted to it — the fields
OVH posted (its five, ``keyword``, any other) urlencoded on stdin — plus ``X_SMSREPLY_*``
variables for shell scripts. What it prints, judged by the gateway's decision table, is
the answer; ``X-CGI-State`` keeps a small state for the conversation's next reply. The
contract is in ``docs/cgi.md``.
"""

from __future__ import annotations

from ..cgi import CgiConfigError, CgiRun, ScriptNotFound, build_request
from .base import (
    UNCHANGED,
    Action,
    ActionConfigError,
    Outcome,
    ReplyContext,
    smart_option,
)


def reply_request(reply: ReplyContext, resources):
    """The CGI request for one reply: what a CGI script and a WSGI handler both see."""
    extra = {
        "SENDER": reply.sender,
        "MESSAGE": reply.message,
        "SHORTCODE": reply.shortcode,
        "TAG": reply.tag,
        "CONVERSATION_ID": str(reply.conversation_id),
        "ORIGINAL_MESSAGE": reply.original_message,
        "SENT_AT": reply.sent_at,
        "REPLY_NUMBER": str(reply.reply_number),
        "REPLY_ID": str(reply.reply_id),
        "RECEIVED_AT": reply.received_at,
        "STATE": reply.state or "",
        "SENDER_RAW": reply.sender_raw,
        "KEYWORD": reply.keyword,
    }
    name, port = resources.server
    return build_request(
        reply.callback_fields(),
        extra,
        headers=reply.headers,
        server_name=name,
        server_port=port,
        remote_addr=reply.remote_addr or "127.0.0.1",
    )


def outcome_of(run: CgiRun, label: dict) -> Outcome:
    """Turn a gateway run (or a handler judged the same way) into an action outcome."""
    result = run.outcome
    detail = dict(
        label,
        result=result.kind,
        error=result.error,
        status=result.status,
        reason=result.reason,
        exit_code=run.exit_code,
        signal=run.signal,
        duration=round(run.duration, 4),
        stdout=run.stdout_excerpt,
        stderr=run.stderr,
        environ=run.environ,
    )
    if result.kind == "error":
        return Outcome("error", detail=detail)
    # No header: keep the state; an empty header clears it.
    state = UNCHANGED if result.state is None else (result.state or None)
    if result.kind == "answer":
        return Outcome("answer", answer=result.answer, detail=detail, state=state)
    return Outcome("no-reply", detail=detail, state=state)


class CgiAction(Action):
    type = "cgi"

    @classmethod
    def validate(cls, options, resources) -> dict:
        script = options["script"]
        try:
            resources.cgi_gateway.check(script)
        except CgiConfigError as error:
            key = "script_not_found" if isinstance(error, ScriptNotFound) else "script_not_allowed"
            raise ActionConfigError(str(error), "script", key, script=script) from None
        return {"action": cls.type, "script": script, **smart_option(options)}

    def run(self, reply: ReplyContext) -> Outcome:
        script = self.options["script"]
        try:
            run = self.resources.cgi_gateway.run(script, reply_request(reply, self.resources))
        except CgiConfigError as error:  # removed or chmod -x since the options were saved
            return Outcome(
                "error", detail={"script": script, "error": "config", "reason": str(error)}
            )
        return outcome_of(run, {"script": script})
