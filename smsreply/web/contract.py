"""Each API route declared once: its query, JSON body and answers as pydantic models that
check the request *and* write the OpenAPI document (``document.py``).

A ``Contract`` wraps a Flask blueprint. Its decorators register the route with Flask and
keep an ``Operation`` (the models, the error statuses, the links) for the document. Before
the view runs, the query string is validated with the ``query`` model and the JSON body with
the ``body`` model; the view receives them as ``query=`` and ``body=``. The first problem
becomes our ``ValidationError`` (422, ``{"error": {"code", "field", "message"}}``), so
the answer's shape stays the API's. ``docs/api.md`` says how to add a route.

Example::

    api = Contract(bp, "/api")

    @api.post("/messages", body=SendMessage, answers={201: Conversation}, errors=(402, 422))
    def send_message(body: SendMessage): ...
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from ..errors import ValidationError
from .payload import json_object

TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "none_required": "null",
}


@dataclass(frozen=True)
class Header:
    """A request header an operation reads (``Idempotency-Key``…), for the document."""

    name: str
    description: str
    schema: dict = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass
class Operation:
    method: str  # "get", "post"…
    path: str  # OpenAPI's spelling: /api/conversations/{conversation_id}
    summary: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | str | None = None  # a model, or a component the view checks
    answers: dict[int, object] = field(default_factory=dict)  # status → model, name or media
    errors: tuple[int, ...] = ()
    public: bool = False
    links: dict[int, dict] = field(default_factory=dict)  # status → {name: Link object}
    headers: tuple[Header, ...] = ()
    path_schemas: dict[str, dict] = field(default_factory=dict)
    # For the document only: "requestBody" (several media: the campaigns), "models" (the
    # schemas it refers to), "parameters" (shared components), "form" (a form body).
    extra: dict = field(default_factory=dict)
    operation_id: str = ""  # the view's name: what links point at


# Flask's converters as JSON Schema (``RowId``: a 64-bit row id, see ``web/__init__.py``).
CONVERTERS = {
    "int": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    "path": {"type": "string", "minLength": 1},
    "string": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
}


def openapi_path(rule: str) -> tuple[str, dict[str, dict]]:
    """``/x/<int:id>`` → (``/x/{id}``, ``{"id": {"type": "integer"…}}``)."""
    schemas = {}
    for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", rule):
        schemas[name] = CONVERTERS[converter or "string"]
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule), schemas


class Contract:
    """The operations of one blueprint, kept for the OpenAPI document."""

    def __init__(self, blueprint: Blueprint, prefix: str = "") -> None:
        self.blueprint = blueprint
        self.prefix = prefix
        self.operations: list[Operation] = []

    def route(self, method: str, rule: str, summary: str, **declared) -> Callable:
        path, path_schemas = openapi_path(self.prefix + rule)
        path_schemas |= declared.pop("path_schemas", {})
        # Decorators that must see the request before it is validated (``idempotent``
        # hashes the body as it arrives): outermost first.
        wrappers = declared.pop("wrappers", ())
        operation = Operation(method, path, summary, path_schemas=path_schemas, **declared)
        self.operations.append(operation)

        def decorate(view: Callable) -> Callable:
            operation.operation_id = operation.operation_id or view.__name__

            @functools.wraps(view)
            def checked(**kwargs):
                if operation.query is not None:
                    kwargs["query"] = validate(operation.query, request.args.to_dict())
                if isinstance(operation.body, type):
                    kwargs["body"] = validate(operation.body, json_object())
                return view(**kwargs)

            handler = checked
            for wrap in reversed(wrappers):
                handler = wrap(handler)
            self.blueprint.add_url_rule(rule, view_func=handler, methods=[method.upper()])
            return handler

        return decorate

    def get(self, rule: str, summary: str, **declared) -> Callable:
        return self.route("get", rule, summary, **declared)

    def post(self, rule: str, summary: str, **declared) -> Callable:
        return self.route("post", rule, summary, **declared)

    def put(self, rule: str, summary: str, **declared) -> Callable:
        return self.route("put", rule, summary, **declared)

    def delete(self, rule: str, summary: str, **declared) -> Callable:
        return self.route("delete", rule, summary, **declared)


def validate(model: type[BaseModel], data: dict) -> BaseModel:
    """``data`` as ``model``, or ``ValidationError`` naming the first problem."""
    try:
        return model.model_validate(data)
    except PydanticError as failure:
        raise explain(model, failure.errors(include_url=False)) from None


def explain(model: type[BaseModel], errors: list[dict]) -> ValidationError:
    """Pydantic's errors said as the API says them (``missing field 'to'``…)."""
    query = not model.model_config.get("strict")  # a query string, not a JSON body
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        return ValidationError(
            f"unknown field(s): {', '.join(unknown)}; expected {', '.join(model.model_fields)}",
            field=unknown[0],
        )
    error = errors[0]
    name = str(error["loc"][0]) if error["loc"] else None
    kind, context = error["type"], error.get("ctx") or {}
    what = f"query parameter {name!r}" if query else repr(name)
    if kind == "missing":
        message = f"missing field {name!r}"
    elif kind == "said":  # ours, whole (a landline…)
        message = error["msg"]
    elif kind == "rule":  # ours, what the value must be
        message = f"{what} must be {error['msg']}"
    elif kind in TYPE_NAMES:
        message = f"{what} must be {TYPE_NAMES[kind]}"
    elif kind == "string_too_long":
        message = f"{what} must be at most {context['max_length']} characters"
    elif kind in ("string_too_short", "string_pattern_mismatch"):
        message = f"{what} must be a non-empty string"
    elif kind in ("greater_than_equal", "less_than_equal"):
        message = f"{what} {error['msg'].lower()}"
    elif kind in ("literal_error", "enum"):
        message = f"{what} must be {context.get('expected', 'one of the documented values')}"
    else:
        message = f"{what}: {error['msg']}"
    return ValidationError(message, field=name)
