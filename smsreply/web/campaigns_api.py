"""The campaigns' JSON API under ``/api/campaigns``: create (JSON, CSV upload or a CSV body,
``?dry_run=1`` to preview; ``Idempotency-Key``: ``idempotency.py``), list, watch, cancel,
export.

A campaign's recipients may be large (``campaign.max_upload_bytes``, not the API's
``server.max_body_bytes``): a CSV is read as a stream, line by line, never whole.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, current_app, request, stream_with_context
from werkzeug.exceptions import UnsupportedMediaType

from ..campaigns import reading, report
from ..campaigns.accepting import CampaignExists, Draft
from ..errors import Conflict, ValidationError
from ..service import Service
from .api import authenticate
from .idempotency import HEADER, idempotent, request_key
from .payload import fields, json_object, query_int

bp = Blueprint("campaigns_api", __name__, url_prefix="/api/campaigns")
bp.before_request(authenticate)

FORM_FIELDS = {"name", "message", "tag", "send_at"}


def service() -> Service:
    return current_app.extensions["smsreply"]


def _flag(name: str) -> bool:
    raw = request.args.get(name, "")
    if raw not in ("", "0", "1", "true", "false"):
        raise ValidationError(f"query parameter {name!r} must be 1 or 0", field=name)
    return raw in ("1", "true")


def _draft(values, columns: list[str]) -> Draft:
    return Draft(
        name=values.get("name") or "",
        message=values.get("message") or "",
        tag=values.get("tag") or None,
        send_at=values.get("send_at") or None,
        columns=columns,
    )


def read_request():
    """The draft and the lines, from JSON, a multipart upload or a CSV body."""
    if request.mimetype == "application/json":
        data = fields(
            json_object(),
            {
                "name": (str,),
                "message": (str,),
                "tag": (str, type(None)),
                "send_at": (str, type(None)),
                "recipients": (list,),
            },
            required={"name", "message", "recipients"},
        )
        columns, lines = reading.read_json(data["recipients"])
        return _draft(data, columns), lines
    if request.mimetype == "multipart/form-data":
        unknown = sorted(set(request.form) - FORM_FIELDS)
        if unknown:
            raise ValidationError(f"unknown form field(s): {', '.join(unknown)}", field=unknown[0])
        upload = request.files.get("recipients")
        if upload is None:
            raise ValidationError("missing file field 'recipients' (a CSV)", field="recipients")
        columns, lines = reading.read_csv(upload.stream)
        return _draft(request.form, columns), lines
    if request.mimetype in ("text/csv", "text/plain"):
        unknown = sorted(set(request.args) - FORM_FIELDS - {"dry_run"})
        if unknown:
            raise ValidationError(f"unknown parameter(s): {', '.join(unknown)}", field=unknown[0])
        columns, lines = reading.read_csv(request.stream)
        return _draft(request.args, columns), lines
    raise UnsupportedMediaType(
        "send JSON (application/json), a form with a 'recipients' CSV file "
        "(multipart/form-data) or the CSV itself (text/csv, the other fields in the query)"
    )


@bp.before_request
def allow_campaign_uploads() -> None:
    if request.endpoint == "campaigns_api.create_campaign":  # before the body is read
        request.max_content_length = service().settings["campaign.max_upload_bytes"]


@bp.post("")
@idempotent
def create_campaign():
    dry_run = _flag("dry_run")
    draft, lines = read_request()
    key = request.headers.get(HEADER)
    if key is not None:
        draft = replace(draft, request_key=request_key(key))
    try:
        answer = service().create_campaign(draft, lines, dry_run)
    except CampaignExists as error:  # its kept answer expired (24 h): the campaign stays one
        raise Conflict(
            f"campaign #{error.campaign_id} was made with this {HEADER} already"
        ) from None
    return answer, 200 if dry_run else 201


@bp.get("")
def list_campaigns():
    page = query_int("page", 1, 1, 10**6)
    per_page = query_int("per_page", 50, 1, 200)
    campaigns = service().campaigns(per_page, (page - 1) * per_page)
    return {"campaigns": campaigns, "page": page, "per_page": per_page}


@bp.get("/<int:campaign_id>")
def get_campaign(campaign_id: int):
    return service().campaign(campaign_id)


@bp.post("/<int:campaign_id>/cancel")
def cancel_campaign(campaign_id: int):
    return service().cancel_campaign(campaign_id)


@bp.get("/<int:campaign_id>/export.csv")
def export_campaign(campaign_id: int):
    store = service().store
    store.get_campaign(campaign_id)  # a 404 before the first byte
    chunks = stream_with_context(report.export_csv(store, campaign_id))
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="campaign-{campaign_id}.csv"'
    return response
