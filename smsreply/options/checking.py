"""Reply options checked against their one description, ``options.schema``, and its errors
said as ours.

``parse`` validates a customer's options with the pydantic models; the first problem
becomes a ``ValidationError`` with the API's English message (``rules[2]: 'text' is
required…``), a stable key and its parameters, the field and the location (``("rules", 2)``)
— pydantic's location without its union tags. ``json_schemas`` gives the same models to the
OpenAPI document.

Example::

    parse({"action": "text"})  # ValidationError("'text' is required…", field="text")
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from ..errors import ValidationError
from .schema import ACTION_NAMES, ADAPTER, MAX_NOTIFICATIONS, MAX_RULES, SECTIONS

MEMBER_TAGS = set(ACTION_NAMES) | {"email", "sms"}
OBJECT_ERRORS = {"model_type", "model_attributes_type", "dict_type", "union_tag_not_found"}


def parse(options: object) -> BaseModel:
    """The options as models, or ``ValidationError`` for the first problem found."""
    try:
        return ADAPTER.validate_python(options)
    except PydanticError as failure:
        raise to_error(failure.errors(include_url=False)[0]) from None


def place(loc: tuple) -> tuple[tuple, str | None]:
    """Pydantic's location without the union tags: (``("rules", 2)``, ``"text"``)."""
    parts = list(loc)
    if parts and parts[0] in ACTION_NAMES:
        parts.pop(0)  # the top level's action
    location: tuple = ()
    if parts and parts[0] in SECTIONS:
        section = parts.pop(0)
        location = (section,)
        if parts and isinstance(parts[0], int):
            location = (section, parts.pop(0))
            if parts and parts[0] in MEMBER_TAGS:
                parts.pop(0)
    names = [part for part in parts if isinstance(part, str)]
    return location, names[0] if names else (location[0] if location else None)


def to_error(error: dict) -> ValidationError:
    """One pydantic error as ours: the English message, a key, parameters, where."""
    location, field = place(error["loc"])
    key, message, params = _explain(error, location, field)
    prefix = f"{location[0]}[{location[1]}]: " if len(location) == 2 else ""
    return ValidationError(
        prefix + message,
        field=field or "action",
        key=key,
        params=params,
        location=location,
    )


def _explain(error: dict, location: tuple, field: str | None) -> tuple[str, str, dict]:
    kind, context = error["type"], dict(error.get("ctx") or {})
    entry = len(location) == 2
    note = entry and location[0] == "notifications"
    if note and kind in {"missing", "extra_forbidden"} | OBJECT_ERRORS - {"union_tag_not_found"}:
        return "notification_keys", "give exactly 'media', 'sender' and 'target'", {}
    if note and kind in ("union_tag_invalid", "union_tag_not_found"):
        return "media_unknown", "media must be 'email' or 'sms'", {}
    if note and kind == "string_type":
        return "notification_not_strings", "values must be strings", {}
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        name = context.get("tag")
        known = ", ".join(sorted(ACTION_NAMES))
        return "action_unknown", f"unknown action {name!r}: expected one of {known}", {"name": name}
    if kind in OBJECT_ERRORS:
        if entry:
            return "rule_not_object", "each rule must be an object", {}
        return "options_not_object", "reply options must be a JSON object", {}
    if field == "aliases":
        return "rule_aliases_list", "'aliases' must be a list of words", {}
    if field == "keyword" and kind == "string_type":
        word = error.get("input")
        message = f"keyword {word!r} must be one word of letters or digits"
        return "rule_keyword_word", message, {"word": word}
    if location == (field,) and kind in ("list_type", "too_long"):
        limit = MAX_RULES if field == "rules" else MAX_NOTIFICATIONS
        return "too_many", f"{field!r} must be a list of at most {limit} items", {"max": limit}
    if kind == "missing" or kind == "string_type":
        return "required", f"{field!r} is required: a non-empty string", {}
    if kind == "extra_forbidden":
        return "unknown_options", f"unknown option(s) for this action: {field}", {"names": field}
    if kind == "bool_type":
        return "not_boolean", f"{field!r} must be true or false", {}
    return kind, error["msg"], context  # our validators' errors: the key is their type


def json_schemas() -> dict[str, dict]:
    """The OpenAPI components: ``ReplyOptions`` and every model it refers to."""
    schema = ADAPTER.json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs")
    return {"ReplyOptions": schema, **definitions}
