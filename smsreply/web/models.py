"""The JSON API's requests as pydantic models: each checks what it describes and gives its
JSON Schema to the OpenAPI document (``contract.py``, ``document.py``).

A model says every constraint the server applies to a field's shape (``Body``: a closed
JSON object, no type coercion; ``Query``: a query string): a schema-valid value is accepted
and an invalid one refused, which Schemathesis checks both ways
(``tests/test_schemathesis.py``). The answers are in ``answers.py``, the campaigns' models
in ``campaign_models.py``.

Example::

    SendMessage.model_validate({"to": "06 12 34 56 78", "message": "RDV ?"})
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..errors import ValidationError
from ..results import RESULTS
from ..sending import CONTROL, MAX_TAG
from ..text.phone import InvalidNumber, parse_french_mobile

NON_BLANK = r"\S"  # JSON Schema patterns are not anchored: at least one non-space character
# A French mobile as people write it: 06 12 34 56 78, 06.12…, +33 6 12…, 0033612345678 —
# libphonenumber's French mobile ranges (``phone.FRENCH_MOBILE_E164``) with separators.
FRENCH_MOBILE = (
    r"^(?:(?:\+33|0033)[ .-]?|0)"
    r"(?:6[ .-]?(?:[0-24-8][0-9]|3[0-8]|9[589])|7[ .-]?[3-9][0-9])(?:[ .-]?[0-9]{2}){3}$"
)


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
