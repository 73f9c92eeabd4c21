"""The campaigns' API models (``campaigns_api.py``): the JSON draft, the query of a CSV
upload, and the answers. See ``models.py`` for what a model promises."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .answers import Time
from .models import NON_BLANK, Body, Page, Query, Tag

REASONS = ("invalid_number", "duplicate", "blacklisted", "missing_field", "url", "too_long")
DRAFT_TEXT = "{column} fields are filled per line; no URL"


class CampaignDraft(Body):
    model_config = Body.model_config | {
        "json_schema_extra": {
            "examples": [
                {"name": "Rappel", "message": "RDV demain ?", "recipients": ["06 12 34 56 78"]}
            ]
        }
    }

    name: str = Field(min_length=1, max_length=200, pattern=NON_BLANK)
    message: str = Field(min_length=1, pattern=NON_BLANK, description=DRAFT_TEXT)
    tag: Tag
    send_at: str | None = Field(
        None,
        description="ISO 8601 with a UTC offset; default: now",
        examples=["2026-12-01T09:00:00+01:00"],
    )
    recipients: list[str | dict[str, Any]] = Field(
        description="Numbers, or objects with 'number' and the {column} fields; a line that "
        "cannot be sent is rejected and reported, not the request"
    )


class CampaignQuery(Query):
    """``dry_run``, and the draft's fields when the body is the CSV itself (text/csv)."""

    dry_run: Literal["0", "1", "true", "false"] | None = Field(
        None, description="1: check and count only, store nothing"
    )
    name: str | None = Field(None, description="text/csv body only")
    message: str | None = Field(None, description="text/csv body only")
    tag: str | None = Field(None, description="text/csv body only")
    send_at: str | None = Field(None, description="text/csv body only")


class CampaignsQuery(Page):
    pass


class CampaignRejection(BaseModel):
    line: int
    recipient: str
    reason: Literal[REASONS]
    detail: str | None = None
    reason_text: str | None = None


class CampaignPreview(BaseModel):
    id: None
    name: str
    send_at: Time
    recipients: int
    rejected: int
    segments: int
    credits: int
    balance: int
    credits_missing: int
    rejections: list[CampaignRejection]


class Counts(BaseModel):
    queued: int
    sent: int
    failed: int
    delivered: int
    replied: int
    cancelled: int
    stopped: int


class Campaign(BaseModel):
    id: int
    name: str
    message: str
    tag: str | None
    state: Literal["scheduled", "sending", "done", "cancelled"]
    send_at: Time
    recipients: int
    rejected: int
    segments: int
    credits: int
    refunded: int
    counts: Counts
    replies: int
    reply_rate: float
    first_words: list[dict[str, Any]] | None = None
    timeline: dict[str, Any] | None = None
    rejections: list[CampaignRejection] | None = None


class CampaignPage(BaseModel):
    campaigns: list[Campaign]
    page: int
    per_page: int
