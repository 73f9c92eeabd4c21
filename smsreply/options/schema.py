"""The shape of the reply options, described once: pydantic models, a union on ``action``.

``{"action": "cgi", "script": "confirm.sh", "rules": [...], "notifications": [...]}``: the
top level is one of five actions plus the ``rules`` and ``notifications`` sections; a rule
is one of the five actions plus ``keyword`` (and ``aliases``) or ``regex``; a notification
is an e-mail or an SMS one. From these models come the validation of what a customer
saves (``parse``), each error's location (``("rules", 2)`` and the field ``text``), the
OpenAPI schema and so the manager's error placement (``options.checking`` does those).
What needs the installation — does the script exist, does the handler load — is checked after,
by each action's ``validate`` (``smsreply.actions``).

Our validators raise ``invalid(key, English message, **params)``: pydantic keeps the key
as the error's type and the params as its context, so they reach the API and the manager.

Example::

    ADAPTER.validate_python({"action": "text", "text": "Merci"})  # a TextOptions
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..text.optout import fold
from ..text.phone import InvalidNumber, is_international
from ..text.segments import find_url
from . import rule_regex

ACTION_NAMES = ("none", "text", "cgi", "handler", "url")
SECTIONS = ("rules", "notifications")
MAX_RULES = 50
MAX_NOTIFICATIONS = 10
URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
SMS_SENDER = re.compile(r"^(?:[A-Za-z0-9 ]{1,11}|\+?\d{3,15})$")


def invalid(key: str, message: str, **params: object) -> PydanticCustomError:
    """An error of ours inside pydantic: its type is our key, its context our params."""
    return PydanticCustomError(key, message, params)


def said(max_length: int, pattern: str = r"\S") -> dict:
    """What a field's validator checks, said in its JSON Schema (for the API's document):
    a non-blank text (or ``pattern``), no NUL, at most ``max_length`` characters (0: no
    limit)."""
    length = {"maxLength": max_length} if max_length else {}
    return {"pattern": pattern, "not": {"pattern": "\\x00"}} | length


def no_nul(value: str, name: str) -> str:
    """A NUL is no file name, no answer an SMS can carry, no text PostgreSQL stores."""
    if "\x00" in value:
        raise invalid("nul", f"{name!r} contains a NUL character")
    return value


def required_text(value: str, name: str, max_length: int) -> str:
    no_nul(value, name)
    if not value.strip():
        raise invalid("required", f"{name!r} is required: a non-empty string")
    if len(value) > max_length:
        raise invalid(
            "too_long", f"{name!r} is longer than {max_length} characters", max=max_length
        )
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# -- the five actions ---------------------------------------------------------------------


class NoneAction(Strict):
    action: Literal["none"]


class Answering(Strict):
    smart_encoding: bool = Field(
        False, description="Send the answer's typographic characters as GSM-7 when cheaper"
    )


class TextAction(Answering):
    action: Literal["text"]
    text: str = Field(description="The predefined answer; no URL", json_schema_extra=said(10000))

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        required_text(value, "text", 10000)
        url = find_url(value)
        if url:
            raise invalid(
                "text_url", f"the text contains a URL ({url}), blocked from short codes", url=url
            )
        return value


class CgiAction(Answering):
    action: Literal["cgi"]
    script: str = Field(description="An executable file of cgi-bin/", json_schema_extra=said(255))

    @field_validator("script")
    @classmethod
    def _script(cls, value: str) -> str:
        return required_text(value, "script", 255)


class HandlerAction(Answering):
    action: Literal["handler"]
    handler: str = Field(description="A .py file of handlers/", json_schema_extra=said(255))

    @field_validator("handler")
    @classmethod
    def _handler(cls, value: str) -> str:
        return required_text(value, "handler", 255)


class UrlAction(Answering):
    action: Literal["url"]
    url: str = Field(
        description="Where the reply is posted (http or https)",
        json_schema_extra=said(2000, URL.pattern),
    )
    use_response: bool = Field(False, description="Answer with the response body")
    follow_redirects: bool = Field(
        False, description="Follow 3xx answers (else a redirect is an error naming its target)"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        required_text(value, "url", 2000)
        if not URL.match(value):
            raise invalid("url_scheme", "the link must start with http:// or https://")
        return value


ACTIONS = (NoneAction, TextAction, CgiAction, HandlerAction, UrlAction)


# -- rules ---------------------------------------------------------------------------------


class Match(Strict):
    keyword: str | None = Field(None, description="The reply's first word, any case/accents")
    aliases: list[str] | None = Field(None, description="Other words for the keyword")
    regex: str | None = Field(None, description="A regular expression searched in the reply")
    sticky: bool = Field(
        True, description="The conversation stays with this rule once it routed a reply"
    )

    @model_validator(mode="after")
    def _one_match(self) -> Match:
        if (self.keyword is None) == (self.regex is None):
            raise invalid("rule_keyword_or_regex", "give either 'keyword' or 'regex'")
        if self.regex is not None:
            if self.aliases is not None:
                raise invalid("rule_aliases_with_regex", "'aliases' go with 'keyword'")
            if not self.regex or len(self.regex) > 200:
                raise invalid("rule_regex_length", "'regex' must be 1 to 200 characters", max=200)
            try:
                rule_regex.compile_rule(self.regex)  # the engine that will run it
            except rule_regex.error as error:
                raise invalid(
                    "rule_regex_invalid", f"invalid regex: {error}", problem=str(error)
                ) from None
            return self
        for word in [self.keyword, *(self.aliases or [])]:
            if not re.fullmatch(r"[a-z0-9]{1,40}", fold(word)):
                raise invalid(
                    "rule_keyword_word",
                    f"keyword {word!r} must be one word of letters or digits",
                    word=word,
                )
        return self


def _rule(action: type[Strict]) -> type[Strict]:
    return type(action.__name__.replace("Action", "Rule"), (action, Match), {})


RULES = tuple(_rule(action) for action in ACTIONS)
Rule = Annotated[
    RULES[0] | RULES[1] | RULES[2] | RULES[3] | RULES[4], Field(discriminator="action")
]


# -- notifications ---------------------------------------------------------------------------


class EmailNotification(Strict):
    media: Literal["email"]
    sender: str = Field(description="An e-mail address", json_schema_extra=said(0, EMAIL.pattern))
    target: str = Field(description="An e-mail address", json_schema_extra=said(0, EMAIL.pattern))

    @field_validator("sender", "target")
    @classmethod
    def _address(cls, value: str, info) -> str:
        no_nul(value, info.field_name)
        if not EMAIL.match(value):
            raise invalid(
                "not_email", f"{info.field_name} {value!r} is not an e-mail address", address=value
            )
        return value


class SmsNotification(Strict):
    media: Literal["sms"]
    sender: str = Field(
        description="1 to 11 letters or digits, or a number",
        json_schema_extra=said(0, SMS_SENDER.pattern),
    )
    target: str = Field(description="An international number, sent as E.164")

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not SMS_SENDER.match(value):
            raise invalid(
                "sms_sender_invalid", "an SMS sender is 1-11 letters or digits, or a number"
            )
        return value

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        try:
            return is_international(value)
        except InvalidNumber as error:
            raise invalid(error.key, error.message, **error.params) from None


Notification = Annotated[EmailNotification | SmsNotification, Field(discriminator="media")]


# -- the whole --------------------------------------------------------------------------------


class Sections(Strict):
    rules: list[Rule] = Field(default_factory=list, max_length=MAX_RULES)
    notifications: list[Notification] = Field(default_factory=list, max_length=MAX_NOTIFICATIONS)


def _options(action: type[Strict]) -> type[Strict]:
    return type(action.__name__.replace("Action", "Options"), (action, Sections), {})


OPTIONS = tuple(_options(action) for action in ACTIONS)
ReplyOptions = Annotated[
    OPTIONS[0] | OPTIONS[1] | OPTIONS[2] | OPTIONS[3] | OPTIONS[4], Field(discriminator="action")
]
ADAPTER = TypeAdapter(ReplyOptions)
