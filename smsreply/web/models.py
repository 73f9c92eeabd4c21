"""The JSON API's requests and answers as pydantic models: each checks what it describes
and gives its JSON Schema to the OpenAPI document (``contract.py``, ``document.py``).

Requests (``Body``: closed, strict types; ``Query``: from the query string) say every
constraint the server applies to a field's shape: a schema-valid value is accepted and an
invalid one refused (Schemathesis checks both, ``tests/test_schemathesis.py``). Answers
describe what the views return. The campaigns' models are in ``campaign_models.py``.

Example::

    SendMessage.model_validate({"to": "06 12 34 56 78", "message": "RDV ?"})
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..phone import InvalidNumber, parse_french_mobile
from ..results import RESULTS
from ..sending import CONTROL, MAX_TAG

NON_BLANK = r"\S"  # JSON Schema patterns are not anchored: at least one non-space character
# A French mobile as people write it: 06 12 34 56 78, 06.12…, +33 6 12…, 0033612345678 —
# libphonenumber's French mobile ranges (``phone.FRENCH_MOBILE_E164``) with separators.
FRENCH_MOBILE = (
    r"^(?:(?:\+33|0033)[ .-]?|0)"
    r"(?:6[ .-]?(?:[0-24-8][0-9]|3[0-8]|9[589])|7[ .-]?[3-9][0-9])(?:[ .-]?[0-9]{2}){3}$"
)
PATTERN_TEXT = {NON_BLANK: "a non-empty string"}


def _french_mobile(value: str) -> str:
    """The number as written, if the pattern holds; else why it cannot receive a reply."""
    if re.search(FRENCH_MOBILE, value):  # as JSON Schema reads a pattern (a final \n too)
        return value
    try:
        parse_french_mobile(value)
    except InvalidNumber as error:
        raise PydanticCustomError("said", error.message) from None
    raise PydanticCustomError(
        "rule", "a French mobile written 06 12 34 56 78, +33 6 12 34 56 78 or 0033 6…"
    )


FrenchMobile = Annotated[
    str,
    AfterValidator(_french_mobile),
    Field(
        description="A French mobile: 0612345678, 06 12 34 56 78 (spaces, dots or dashes), "
        "+33 6…, 0033 6…",
        examples=["06 12 34 56 78"],
        json_schema_extra={"pattern": FRENCH_MOBILE},
    ),
]


def check_french_mobile(value: str, field: str) -> str:
    """For a path parameter: the same rule as a body's ``FrenchMobile``."""
    from ..errors import ValidationError

    try:
        return _french_mobile(value)
    except PydanticCustomError as error:
        said = error.message()
        raise ValidationError(
            said if error.type == "said" else f"{field!r} must be {said}", field=field
        ) from None


def _whole(value: object) -> object:
    """JSON Schema's ``integer`` includes 5.0: take it as 5 (but never true or "5")."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole)]


def query_int(default: int, low: int, high: int, description: str) -> Any:
    """A query parameter holding a whole number from ``low`` to ``high`` (ASCII digits)."""

    def parse(value: object) -> int:
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value):
            number = int(value)
            if low <= number <= high:
                return number
        raise PydanticCustomError("rule", f"a whole number from {low} to {high}")

    return Annotated[
        int,
        Field(default=default, ge=low, le=high, description=description),
        BeforeValidator(parse),
    ]


class Body(BaseModel):
    """A JSON request body: unknown fields refused, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")


class Query(BaseModel):
    """A query string; parameters not declared are ignored."""

    model_config = ConfigDict(extra="ignore", regex_engine="python-re")


def _no_control(value: str) -> str:
    if re.search(CONTROL, value):
        raise PydanticCustomError("rule", "text without control characters")
    return value


Tag = Annotated[
    Annotated[str, Field(max_length=MAX_TAG), AfterValidator(_no_control)] | None,
    Field(
        None,
        description="Yours, echoed back; no control characters",
        json_schema_extra={"not": {"type": "string", "pattern": CONTROL}},
    ),
]


# -- requests -------------------------------------------------------------------------------


class SendMessage(Body):
    to: FrenchMobile
    message: str = Field(
        min_length=1,
        pattern=NON_BLANK,
        description="No URL; at most sms.max_parts SMS parts (422 otherwise)",
    )
    tag: Tag
    smart_encoding: bool = Field(
        False,
        description="Replace typographic quotes, dashes, the ellipsis and special spaces by "
        "GSM-7 ones when that makes the message cheaper",
    )


class AddCredits(Body):
    amount: WholeNumber = Field(ge=1, le=10**9)
    reason: str = Field("top-up", max_length=200, description="Shown in the ledger")


class Page(Query):
    page: query_int(1, 1, 10**6, "From 1")
    per_page: query_int(50, 1, 200, "Page size")


class ConversationsQuery(Page):
    number: str | None = Field(None, description="Only this recipient (+33612345678)")
    tag: str | None = Field(None, description="Only this tag")
    status: Literal["open", "closed"] | None = None


class RepliesQuery(Page):
    status: Literal["pending", "handled", "rejected"] | None = None
    result: Literal[RESULTS] | None = Field(None, description="failed: the runs that went wrong")


class CreditsQuery(Query):
    limit: query_int(50, 1, 500, "Ledger lines")


class OutboxQuery(Query):
    limit: query_int(50, 1, 500, "Items")


class BlacklistQuery(Query):
    limit: query_int(100, 1, 1000, "Entries")


# -- answers ---------------------------------------------------------------------------------

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


# -- the providers' callbacks (``callbacks.py``: documented, checked by each provider) --------


class OvhReply(BaseModel):
    id: str = Field(min_length=1, max_length=64, pattern=NON_BLANK, description="Its id")
    senderid: str = Field(min_length=1, max_length=32, pattern=NON_BLANK, description="Who")
    message: str = Field(min_length=1, max_length=2000, pattern=NON_BLANK, description="The reply")
    shortcode: str = Field(
        "", max_length=16, pattern=r"^\s*\+?[0-9]*\s*$", description="The short code replied to"
    )
    tag: str = Field("", max_length=128, description="The tag sent, echoed")


class OvhDeliveryReport(BaseModel):
    id: str = Field(min_length=1, pattern=NON_BLANK, description="The provider's id of the SMS")
    description: str = Field(
        "", description="DLR code: 1 delivered; 2 or 16 failed; 0, 4, 8 pending"
    )
    dlr: str = Field("", description="Same as description")
    ptt: str = Field("", description="4 delivered; 1 to 3 pending; else failed")
    descriptionDlr: str = Field("", description="Free text, kept with the status")
    date: str = Field("", description="When, as the provider says")


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
