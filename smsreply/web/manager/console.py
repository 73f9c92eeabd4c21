"""The test console: type a reply as if from a phone and follow it through the real pipeline.

Like RapidSMS's message tester, but nothing is faked: the reply is posted over HTTP to
the server's real OVH-shaped callback (``server.base_url`` + ``/callbacks/ovh/<token>``,
see ``simulate.py``), as the operator posts it, so a script sees the same ``HTTP_HOST`` and
headers; the page waits for the reply's end and shows its record — status or reason, the
action, what a script saw and printed, the answer and its cost. Picking an open
conversation fills in its number, short code and tag, as OVH would echo them.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ... import views
from ...accounts.credentials import ensure_callback_token
from ...providers import InvalidCallback
from ...providers.ovh.form import parse_ovh_reply
from ...simulate import (
    CallbackRefused,
    ServerUnreachable,
    new_provider_id,
    post_reply,
    wait_until_done,
)
from ...store import NotFound
from .common import form_text, service, whole_number
from .explain import explain

bp = Blueprint("console", __name__)
FIELDS = {"senderid": "sender", "shortcode": "shortcode", "message": "message", "tag": "tag"}
WAIT_SECONDS = 10.0
USER_AGENT = "smsreply-test-console"  # what scripts see as HTTP_USER_AGENT


def _open_conversations() -> list[dict]:
    now = service().now_iso()
    rows, _ = service().store.find_conversations(None, None, "open", now, 100, 0)
    return [
        views.conversation_summary(row, now) | {"provider_tag": row["provider_tag"]} for row in rows
    ]


def _callback_form(form: dict) -> dict:
    """The fields OVH would post for this reply."""
    fields = {
        "shortcode": form["shortcode"],
        "tag": form["tag"],
        "id": new_provider_id(),
        "senderid": form["sender"],
        "message": form["message"],
    }
    conversation_id = whole_number(form["conversation"])
    if conversation_id is not None:
        row = service().store.get("conversations", conversation_id)
        fields["senderid"] = form["sender"] or row["recipient"]
        fields["shortcode"] = form["shortcode"] or row["shortcode"] or ""
        fields["tag"] = form["tag"] or row["provider_tag"]
    return fields


def _prefill(conversation_id: int | None) -> dict:
    """The fields a conversation fills in (what OVH would echo), visible before sending."""
    if conversation_id is None:
        return {}
    try:
        row = service().store.get("conversations", conversation_id)
    except NotFound:
        return {}
    return {
        "sender": row["recipient"],
        "shortcode": row["shortcode"] or "",
        "tag": row["provider_tag"] or "",
    }


@bp.route("/console", methods=["GET", "POST"])
def console() -> ResponseReturnValue:
    form = {"conversation": "", "sender": "", "shortcode": "", "tag": "", "message": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = {name: form_text(name, strip=name != "message") for name in form}
        try:
            fields = _callback_form(form)
            # The callback's own parser, first: its error names the field, in our language.
            parse_ovh_reply(fields)
        except NotFound as error:
            errors["conversation"], status = explain(error), 404
        except InvalidCallback as error:
            field = FIELDS.get(str(error.params.get("field")), "form")
            errors[field], status = explain(error), 400
        else:
            token = ensure_callback_token(service().store)
            base_url = service().settings["server.base_url"]
            try:
                result = post_reply(base_url, token, fields, {"User-Agent": USER_AGENT})
            except CallbackRefused as error:
                message = error.message
                field = next((FIELDS[name] for name in FIELDS if f"'{name}'" in message), "form")
                errors[field], status = message, error.http_status
            except ServerUnreachable as error:
                errors["form"], status = error.message, 502
            else:
                wait_until_done(service(), result["reply_id"], WAIT_SECONDS)
                return redirect(
                    url_for(
                        "manager.console.console",
                        reply=result["reply_id"],
                        conversation=form["conversation"] or None,
                        _anchor="result",
                    )
                )
    else:
        form["conversation"] = request.args.get("conversation", "")
        form.update(_prefill(whole_number(form["conversation"])))
    reply, conversation_id = _result(whole_number(request.args.get("reply", "")))
    return render_template(
        "manager/console.html",
        form=form,
        errors=errors,
        reply=reply,
        conversation_id=conversation_id,
        conversations=_open_conversations(),
    ), status


def _result(reply_id: int | None) -> tuple[dict | None, int | None]:
    """The reply to show under the form, and its conversation's id."""
    if reply_id is None:
        return None, None
    try:
        row = service().store.get("replies", reply_id)
    except NotFound:
        return None, None
    return views.reply_detail(service().store, reply_id), row["conversation_id"]
