"""« Campagnes »: one message to many numbers — paste them or upload a CSV, check, confirm.

The form's recipients (pasted lines or an uploaded CSV) are kept as a private file under
``<database folder>/uploads`` and previewed (a dry run: counts, credits, every rejected
line); the confirm step accepts that same file, so what is sent is what was previewed.
The file's token is the confirm step's key: it makes at most one campaign (the key stored
with it, in its transaction), and a repeated click lands on that campaign's page.
A campaign's page shows its live counts, replies by first word, a server-drawn SVG chart
and links to cancel it and export it as CSV.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import LazyString, get_timezone, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ...campaigns import chart, reading, report
from ...campaigns.accepting import CampaignExists, Draft
from ...errors import SmsReplyError
from .common import form_text, service

bp = Blueprint("campaigns", __name__)
FIELDS = ("name", "message", "tag", "send_at", "numbers")
STALE_SECONDS = 86400  # previews never confirmed are removed after a day
REASONS = {
    "invalid_number": _l("not a French metropolitan mobile"),
    "duplicate": _l("duplicate"),
    "blacklisted": _l("replied STOP"),
    "missing_field": _l("empty field"),
    "url": _l("would contain a URL"),
    "too_long": _l("too long"),
}
STATES = {
    "scheduled": _l("scheduled"),
    "sending": _l("sending"),
    "done": _l("done"),
    "cancelled": _l("cancelled"),
}
COUNTS = (
    ("queued", _l("Queued")),
    ("sent", LazyString(pgettext, "count", "Sent")),  # a number of SMS, not a date
    ("failed", _l("Failed")),
    ("delivered", _l("Delivered")),
    ("replied", _l("Replied")),
    ("cancelled", _l("Cancelled")),
    ("stopped", _l("STOP before sending")),
)


def uploads() -> Path:
    folder = Path(service().settings["database.path"]).parent / "uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < time.time() - STALE_SECONDS:
            old.unlink(missing_ok=True)
    return folder


def save_recipients(pasted: str) -> str:
    """Keep the uploaded CSV, or the pasted lines, as a private file; its token."""
    token = secrets.token_urlsafe(16)
    path = uploads() / f"{token}.csv"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as target:
        upload = request.files.get("recipients")
        if upload is not None and upload.filename:
            upload.save(target)
        else:
            target.write(pasted.encode("utf-8"))
    return token


def recipients_file(token: str) -> Path:
    if not token.replace("-", "").replace("_", "").isalnum():
        abort(400)
    path = uploads() / f"{token}.csv"
    if not path.exists():
        abort(410, _("This check has expired: start again."))
    return path


def run(form: dict, token: str, dry_run: bool) -> dict:
    with recipients_file(token).open("rb") as stream:
        columns, lines = reading.read_csv(stream)
        draft = Draft(
            form["name"],
            form["message"],
            form["tag"] or None,
            form["send_at"] or None,
            columns,
            request_key=None if dry_run else confirm_key(token),
        )
        return service().create_campaign(draft, lines, dry_run)


def confirm_key(token: str) -> str:
    return f"manager:{token}"


@bp.route("/campaigns", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    form = {name: "" for name in FIELDS}
    errors: dict[str, str] = {}
    status, preview, token = 200, None, ""
    if request.method == "POST":
        form = {name: form_text(name, strip=name != "message") for name in FIELDS}
        token = request.form.get("token") or save_recipients(form["numbers"])
        confirm = request.form.get("confirm") == "1"
        made = service().store.campaign_for_request(confirm_key(token)) if confirm else None
        if made is not None:  # a second click on the confirm button
            return redirect(url_for("manager.campaigns.show", campaign_id=made))
        try:
            result = run(form, token, dry_run=not confirm)
        except CampaignExists as error:  # clicked twice at once: the other click made it
            return redirect(url_for("manager.campaigns.show", campaign_id=error.campaign_id))
        except SmsReplyError as error:
            errors[error.field if error.field in FIELDS else "form"] = error.message
            status = error.status
        else:
            if confirm:
                recipients_file(token).unlink(missing_ok=True)
                flash(
                    _(
                        "Campaign #%(id)s accepted: %(count)s recipient(s).",
                        id=result["id"],
                        count=result["recipients"],
                    )
                )
                return redirect(url_for("manager.campaigns.show", campaign_id=result["id"]))
            preview = result
    return render_template(
        "manager/campaigns.html",
        form=form,
        errors=errors,
        preview=preview,
        token=token,
        campaigns=service().campaigns(50),
        reasons=REASONS,
        states=STATES,
    ), status


@bp.get("/campaigns/<int:campaign_id>")
def show(campaign_id: int) -> ResponseReturnValue:
    detail = service().campaign(campaign_id)
    labels = {
        "title": _("Sends and replies over time"),
        "sent": pgettext("count", "Sent"),
        "replies": _("Replies"),
        "empty": _("Nothing sent yet."),
        "bucket": _("one bar = %(minutes)s min", minutes="{minutes}"),
        "zone": str(get_timezone()),  # manager.timezone, as every time of the manager
    }
    svg = Markup(chart.timeline_svg(detail["timeline"], labels, get_timezone()))  # noqa: S704
    return render_template(
        "manager/campaign.html", campaign=detail, chart=svg, states=STATES, counts=COUNTS
    )


@bp.post("/campaigns/<int:campaign_id>/cancel")
def cancel(campaign_id: int) -> ResponseReturnValue:
    data = service().cancel_campaign(campaign_id)
    flash(_("Campaign cancelled; %(refunded)s credit(s) refunded.", refunded=data["refunded"]))
    return redirect(url_for("manager.campaigns.show", campaign_id=campaign_id))


@bp.get("/campaigns/<int:campaign_id>/export.csv")
def export(campaign_id: int) -> ResponseReturnValue:
    store = service().store
    store.get_campaign(campaign_id)
    response = Response(
        stream_with_context(report.export_csv(store, campaign_id)), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="campaign-{campaign_id}.csv"'
    return response
