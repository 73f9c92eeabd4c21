"""« Composer un message »: send one SMS from a reply-capable short code.

The form posts the recipient, the text and an optional tag to ``service.send_message``;
its ``ValidationError`` names the field, so the message is shown next to that field. The
counter under the text is computed here too, so it is right without JavaScript; the
static script only keeps it live while typing.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ...errors import SmsReplyError
from ...segments import count_segments
from .common import form_text, service, t

bp = Blueprint("compose", __name__)
FIELDS = ("to", "message", "tag")


@bp.route("/compose", methods=["GET", "POST"])
def compose() -> ResponseReturnValue:
    form = {name: "" for name in FIELDS}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = {"to": form_text("to"), "message": form_text("message", strip=False)}
        form["tag"] = form_text("tag")
        try:
            conversation = service().send_message(form["to"], form["message"], form["tag"])
        except SmsReplyError as error:
            errors[error.field if error.field in FIELDS else "form"] = error.message
            status = error.status
        else:
            flash(t("compose.sent", id=conversation["id"]))
            return redirect(
                url_for("manager.conversations.thread", conversation_id=conversation["id"])
            )
    return render_template(
        "manager/compose.html",
        form=form,
        errors=errors,
        segments=count_segments(form["message"]),
        max_parts=service().settings["sms.max_parts"],
    ), status
