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
from ..text.nul import refuse_nul_in_pairs
from .api import authenticate
from .campaign_models import (
    Campaign,
    CampaignDraft,
    CampaignPage,
    CampaignPreview,
    CampaignQuery,
    CampaignsQuery,
)
from .contract import Contract, validate
from .idempotency import HEADER, IDEMPOTENCY_HEADER, idempotent, request_key
from .models import NON_BLANK
from .payload import json_object, refuse_nul_in_query

bp = Blueprint("campaigns_api", __name__, url_prefix="/api/campaigns")
bp.before_request(authenticate)
bp.before_request(refuse_nul_in_query)
api = Contract(bp, "/api/campaigns")
CAMPAIGN_ID = {"campaign_id": "$response.body#/id"}
# What a tool can do with the campaign just created (a dry run's id is null: no link).
CAMPAIGN_LINKS = {
    "GetCampaign": {"operationId": "get_campaign", "parameters": CAMPAIGN_ID},
    "ExportCampaign": {"operationId": "export_campaign", "parameters": CAMPAIGN_ID},
    "CancelCampaign": {"operationId": "cancel_campaign", "parameters": CAMPAIGN_ID},
}
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/CampaignDraft"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["name", "message", "recipients"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "pattern": NON_BLANK},
                    "message": {"type": "string", "minLength": 1, "pattern": NON_BLANK},
                    "tag": {"type": "string"},
                    "send_at": {"type": "string"},
                    "recipients": {"type": "string", "format": "binary"},
                },
            }
        },
        # The CSV's bytes: any text is a CSV whose lines are checked one by one.
        "text/csv": {"schema": {"description": "A header line, then one recipient a line"}},
    },
}

FORM_FIELDS = {"name", "message", "tag", "send_at"}


def service() -> Service:
    return current_app.extensions["smsreply"]


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
        draft = validate(CampaignDraft, json_object())
        columns, lines = reading.read_json(draft.recipients)
        return _draft(draft.model_dump(), columns), lines
    if request.mimetype == "multipart/form-data":
        refuse_nul_in_pairs(request.form.items(multi=True), "form")
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


@api.post(
    "",
    "Create a campaign (or preview it with dry_run=1): JSON, a multipart form with a "
    "'recipients' CSV file, or a text/csv body with the fields in the query",
    query=CampaignQuery,
    answers={
        200: ("The preview (dry_run=1)", CampaignPreview),
        201: ("Accepted: sent progressively", Campaign),
    },
    errors=(400, 402, 409, 413, 415, 422),
    links={201: CAMPAIGN_LINKS},
    headers=(IDEMPOTENCY_HEADER,),
    wrappers=(idempotent,),
    extra={"requestBody": REQUEST_BODY, "models": [CampaignDraft]},
)
def create_campaign(query: CampaignQuery):
    dry_run = query.dry_run in ("1", "true")
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


@api.get(
    "",
    "List campaigns, newest first, with their counts",
    query=CampaignsQuery,
    answers={200: ("A page", CampaignPage)},
    errors=(422,),
)
def list_campaigns(query: CampaignsQuery):
    campaigns = service().campaigns(query.per_page, (query.page - 1) * query.per_page)
    return {"campaigns": campaigns, "page": query.page, "per_page": query.per_page}


@api.get(
    "/<int:campaign_id>",
    "A campaign's live counts, reply rate, replies by first word, timeline",
    answers={200: ("The campaign", Campaign)},
    errors=(404,),
)
def get_campaign(campaign_id: int):
    return service().campaign(campaign_id)


@api.post(
    "/<int:campaign_id>/cancel",
    "Stop sending; the credits of what was not sent are refunded (no body: the path says it)",
    answers={200: ("The campaign, cancelled", Campaign)},
    errors=(404, 409),
)
def cancel_campaign(campaign_id: int):
    return service().cancel_campaign(campaign_id)


@api.get(
    "/<int:campaign_id>/export.csv",
    "Every line with its status, delivery and first reply, as CSV",
    answers={200: ("The CSV", "text/csv")},
    errors=(404,),
)
def export_campaign(campaign_id: int):
    store = service().store
    store.get_campaign(campaign_id)  # a 404 before the first byte
    chunks = stream_with_context(report.export_csv(store, campaign_id))
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="campaign-{campaign_id}.csv"'
    return response
