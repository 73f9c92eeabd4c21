"""« Composer un message »: send one SMS from a reply-capable short code.

The form posts the recipient, the text and an optional tag to ``service.send_message``;
its ``ValidationError`` names the field, so the message is shown next to that field. The
counter under the text is computed here too (``counter``), so it is right without
JavaScript; the static script only keeps it live while typing. Smart encoding (typographic
characters sent as GSM-7, ``smsreply.text.smart_encoding``) is ticked by default.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...errors import SmsReplyError
from .common import form_text, service
from .counter import counter, js_templates
from .explain import explain

bp = Blueprint("compose", __name__)
FIELDS = ("to", "message", "tag")


@bp.route("/compose", methods=["GET", "POST"])
def compose() -> ResponseReturnValue:
    form = {name: "" for name in FIELDS}
    smart = True  # a new message is smart-encoded unless the box is unticked
    errors: dict[str, str] = {}
    status = 200
    max_parts = service().settings["sms.max_parts"]
    if request.method == "POST":
        form = {"to": form_text("to"), "message": form_text("message", strip=False)}
        form["tag"] = form_text("tag")
        smart = request.form.get("smart_encoding") == "on"
        try:
            conversation = service().send_message(
                form["to"], form["message"], form["tag"], smart_encoding=smart
            )
        except SmsReplyError as error:
            errors[error.field if error.field in FIELDS else "form"] = explain(error)
            status = error.status
        else:
            flash(_("Message sent (conversation #%(id)s).", id=conversation["id"]))
            return redirect(
                url_for("manager.conversations.thread", conversation_id=conversation["id"])
            )
    return render_template(
        "manager/compose.html",
        form=form,
        errors=errors,
        smart=smart,
        counter=counter(form["message"], smart, max_parts),
        counter_templates=js_templates(max_parts),
    ), status
