"""The JSON API's answers as pydantic models: what each view returns, for the OpenAPI
document (``document.py``). ``Error`` is every error answer, whatever its status.

Example::

    Conversation.model_json_schema()["required"]  # ["id", "to", "shortcode", …]
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ..results import RESULTS

Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Encoding = Literal["gsm7", "ucs2"]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid", "not_found", "unauthorized"])
    message: str
    field: str | None = Field(None, description="The field at fault, when there is one")


class Error(BaseModel):
    """Every error answer, whatever its status."""

    error: ErrorDetail


class Health(BaseModel):
    ok: Literal[True]


class NotReady(BaseModel):
    ok: Literal[False]
    problem: str


class Conversation(BaseModel):
    id: int
    to: str
    shortcode: str | None
    tag: str | None
    message: str
    encoding: Encoding
    segments: int
    credits: int
    created_at: Time
    replies_until: Time
    status: Literal["open", "closed"]
    reply_count: int


class ConversationPage(BaseModel):
    conversations: list[Conversation]
    page: int
    per_page: int
    total: int


class Sms(BaseModel):
    id: int
    kind: str = Field(examples=["message", "answer", "notification"])
    recipient: str
    shortcode: str | None
    message: str
    encoding: Encoding
    segments: int
    credits: int
    status: str = Field(examples=["queued", "sending", "sent", "failed", "no_credit"])
    provider: str | None
    provider_id: str | None
    error: str | None
    attempts: int
    created_at: Time
    sent_at: Time | None
    delivery_status: str | None
    delivered_at: Time | None


class Reply(BaseModel):
    id: int
    provider_id: str
    received_at: Time
    sender: str
    shortcode: str | None
    message: str
    status: str = Field(examples=["pending", "handled", "rejected"])
    reason: str | None = Field(examples=["late", "unmatched", "insufficient_credits"])
    reason_text: str | None
    credits: int
    reply_number: int | None
    action: str | None
    result: Literal[RESULTS] | None = Field(
        description="answered (an answer was queued), no_answer (none by design) or failed; "
        "null while pending and for rejected replies"
    )
    result_reason: str | None = Field(description="Why, in one line")
    outcome: dict[str, Any] | None = Field(description="What the action did: kind, script…")
    answer: Sms | None


class ListedReply(Reply):
    conversation_id: int | None


class ReplyPage(BaseModel):
    replies: list[ListedReply]
    page: int
    per_page: int


class ConversationDetail(Conversation):
    state: str | None
    credits_spent: int
    sms: Sms | None
    replies: list[Reply]


class LedgerLine(BaseModel):
    id: int
    at: Time
    delta: int
    balance: int
    reason: str
    conversation_id: int | None
    reply_id: int | None
    outgoing_id: int | None


class ProviderBalance(BaseModel):
    provider: str
    at: Time
    balance: float


class Credits(BaseModel):
    balance: int
    ledger: list[LedgerLine]
    provider_balance: ProviderBalance | None = Field(description="The provider's own, if known")


class Balance(BaseModel):
    balance: int


class OutboxItem(BaseModel):
    id: int
    at: Time
    recipient: str
    shortcode: str | None
    message: str
    tag: str | None
    segments: int


class Outbox(BaseModel):
    outbox: list[OutboxItem]


class BlacklistEntry(BaseModel):
    """A number that replied STOP: no message is sent to it any more."""

    number: str
    added_at: Time
    reply_id: int | None
    message: str | None


class Blacklist(BaseModel):
    blacklist: list[BlacklistEntry]


class ReplyStored(BaseModel):
    ok: Literal[True]
    reply_id: int
    duplicate: bool
    status: str = Field(examples=["pending", "handled", "rejected"])
    reason: str | None


class DeliveryRecorded(BaseModel):
    ok: Literal[True]
    matched: bool = Field(description="False when no SMS has this id")
    status: Literal["delivered", "failed", "pending"]
