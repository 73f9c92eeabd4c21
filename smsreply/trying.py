"""One run of a cgi-bin script or a handler on a made-up reply, storing and sending nothing.

``smsreply try`` uses it: the loop of a script author. The reply is the one the gateway
would build for a first reply to a conversation (OVH's callback fields on standard input,
the ``X_SMSREPLY_*`` variables, ``SERVER_NAME``/``SERVER_PORT`` from ``server.base_url``,
``Host`` as a callback carries it); the action is the real one (``CgiAction`` or
``HandlerAction``, through the same gateway, caps and decision table), and the run is
judged as a stored reply's would be (``results.judge_outcome``). No database, no provider:
what it prints is all that happens.

Example::

    trial = try_once(resources, "echo.sh", "OUI", sender="0612345678", shortcode="38123")
    trial["result"], trial["answer"]  # "answered", {"text": "…", "parts": 1, "credits": 1}
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

from . import __version__
from .actions import ActionConfigError, ReplyContext, Resources, build_action
from .actions.cgi import reply_request
from .cgi import build_environ
from .clock import to_iso, utcnow
from .results import judge_outcome
from .simulate import new_provider_id
from .text.phone import parse_french_mobile
from .text.segments import count_segments

FOLDERS = ("cgi-bin", "handlers")


def action_options(resources: Resources, target: str) -> dict:
    """``{"action": "cgi", "script": …}`` or ``{"action": "handler", "handler": …}``:
    a ``.py`` file of ``handlers/`` is a handler, anything else a cgi-bin script."""
    parts = PurePosixPath(target).parts
    folder = parts[0] if len(parts) > 1 and parts[0] in FOLDERS else None
    name = str(PurePosixPath(*parts[1:])) if folder else target
    as_handler = folder == "handlers" or (
        folder is None
        and name.endswith(".py")
        and (resources.handlers_dir / name).is_file()
        and not (resources.cgi_dir / name).is_file()
    )
    if as_handler:
        return {"action": "handler", "handler": name}
    return {"action": "cgi", "script": name}


def try_once(
    resources: Resources,
    target: str,
    message: str,
    *,
    sender: str = "+33612345678",
    tag: str = "",
    shortcode: str = "38123",
) -> dict:
    """Run ``target`` once for a reply ``message``; what it saw, printed and would send.

    Raises ``ActionConfigError`` when ``target`` cannot run (missing, outside its folder,
    not executable, a handler that fails to load), as saving it in the options would."""
    options = action_options(resources, target)
    action = build_action(options, resources)
    now = to_iso(utcnow())
    reply = ReplyContext(
        reply_id=0,
        provider_id=new_provider_id(),
        sender=parse_french_mobile(sender),
        message=message,
        shortcode=shortcode,
        tag=tag,
        conversation_id=0,
        original_message="",
        sent_at=now,
        reply_number=1,
        state=None,
        received_at=now,
        remote_addr="127.0.0.1",
        headers=(("Host", urlsplit(resources.settings["server.base_url"]).netloc),),
    )
    outcome = action.respond(reply)
    detail = outcome.detail
    result = judge_outcome(outcome, resources.settings["sms.max_parts"])
    environ = detail.get("environ")
    stdin = None
    if environ is not None:  # a script, or a WSGI handler: the request body they read
        name = options.get("script") or options["handler"]
        stdin = build_environ(reply_request(reply, resources), name, f"smsreply/{__version__}")[
            1
        ].decode()
    answer = None
    if result.answer is not None:
        segments = count_segments(result.answer)
        answer = {
            "text": result.answer,
            "encoding": segments.encoding,
            "parts": segments.parts,
            "credits": segments.credits,
        }
    return {
        "action": options,
        "environ": environ,
        "stdin": stdin,
        "stdout": detail.get("stdout"),
        "stderr": detail.get("stderr"),
        "exit_code": detail.get("exit_code"),
        "signal": detail.get("signal"),
        "duration": detail.get("duration"),
        "result": result.result,
        "reason": result.reason,
        "answer": answer,
        "state": outcome.state if isinstance(outcome.state, str) else None,  # X-CGI-State
    }


__all__ = ["ActionConfigError", "action_options", "try_once"]
