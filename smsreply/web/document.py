"""The OpenAPI 3.1 document, written from the routes' contracts (``contract.py``) and the
callbacks' description, served without authentication at ``/api/openapi.json``.

Nothing here restates a field: the schemas are the pydantic models' own JSON Schema (the
reply options' from ``options.schema``), the paths and parameters come from the registered
operations. Error answers are one component, ``Error``, referred to by every status.

Example::

    curl -s http://127.0.0.1:8080/api/openapi.json | jq '.paths | keys'
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from flask import Blueprint, current_app
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from .. import __version__
from ..options import checking
from . import api, callbacks, campaigns_api
from .answers import DeliveryRecorded, Error, ReplyStored
from .contract import Contract, Operation, openapi_path
from .models import OvhDeliveryReport, OvhReply

bp = Blueprint("openapi", __name__)
contract = Contract(bp)
REF = "#/components/schemas/{model}"

ERROR_TEXT = {
    400: "Malformed request: bad JSON, not UTF-8, malformed form data",
    401: "Missing or wrong API key (`WWW-Authenticate: Bearer`)",
    402: "The credit balance cannot cover the message",
    403: "Unknown callback token",
    404: "No such resource, or no callbacks for this provider",
    409: "The request does not fit the current state (a campaign already sent)",
    413: "Request body larger than server.max_body_bytes",
    415: "The body is not application/json",
    422: "Well-formed but not acceptable; `field` names the culprit",
}
CALLBACK_PARAMETERS = {
    "CallbackProvider": {
        "name": "provider",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[^/]+$"},
        "description": "`ovh`, or the configured provider's name (`smsreply info` prints it)",
    },
    "CallbackToken": {
        "name": "token",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[^/]+$"},
        "description": "The callback token: the callbacks' credential, a secret in the path "
        "(providers cannot send headers). `smsreply init` prints the callback URL; a wrong "
        "token is a 403.",
    },
}


def callback_operations() -> list[Operation]:
    """The callbacks' own WSGI app (``callbacks.py``) has no blueprint: described here."""
    described = [
        (callbacks.REPLY_ROUTE, OvhReply, ReplyStored, "A reply, as the provider forwards it "
         "(duplicates, late and unmatched replies are stored and answered 200 too)"),
        (callbacks.DLR_ROUTE, OvhDeliveryReport, DeliveryRecorded,
         "A delivery report for an SMS we sent"),
    ]  # fmt: skip
    operations = []
    for rule, fields, answer, summary in described:
        path, _ = openapi_path(rule)
        for method in ("get", "post"):
            operations.append(
                Operation(
                    method,
                    path,
                    summary,
                    query=fields if method == "get" else None,
                    body=fields if method == "post" else None,
                    answers={200: ("Stored", answer)},
                    errors=(400, 403, 404, 413),
                    public=True,
                    extra={"parameters": ["CallbackProvider", "CallbackToken"], "form": True},
                    operation_id=f"{method}_{'dlr' if rule.endswith('/dlr') else 'reply'}_callback",
                )
            )
    return operations


def build(contracts: list[Contract]) -> dict:
    operations = [op for contract in contracts for op in contract.operations]
    operations += callback_operations()
    schemas = component_schemas(operations)
    paths: dict[str, dict] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method] = describe(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smsreply API",
            "version": __version__,
            "summary": "Send SMS from a reply-capable short code and handle the replies.",
            "description": "Every error is JSON, the `Error` schema: "
            '`{"error": {"code": "invalid", "message": "…", "field": "to"}}` '
            "(`field` only when one field is at fault). The callbacks authenticate with the "
            "token in their path (`CallbackToken`). Reference with curl examples: docs/api.md.",
        },
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The API key printed by `smsreply init` (or `smsreply api-key`)",
                }
            },
            "schemas": schemas,
            "parameters": CALLBACK_PARAMETERS,
            "responses": {
                f"E{status}": {"description": text, **json_content(ref("Error"))}
                for status, text in ERROR_TEXT.items()
            },
        },
    }


def component_schemas(operations: list[Operation]) -> dict:
    """Every body and answer model, and the models they use, by name."""
    models: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
    for operation in operations:
        for model in operation.extra.get("models", ()):  # bodies described by hand
            models[(model, "validation")] = None
        if isinstance(operation.body, type):
            models[(operation.body, "validation")] = None
        for answer in operation.answers.values():
            model = answer[1] if isinstance(answer, tuple) else answer
            if isinstance(model, type):
                models[(model, "serialization")] = None
    _, top = models_json_schema(list(models), ref_template=REF)
    return {**top["$defs"], **checking.json_schemas()}


def describe(operation: Operation) -> dict:
    described: dict = {"operationId": operation.operation_id, "summary": operation.summary}
    parameters = parameters_of(operation)
    if parameters:
        described["parameters"] = parameters
    body = operation.extra.get("requestBody") or request_body(operation)
    if body:
        described["requestBody"] = body
    described["responses"] = responses(operation)
    if operation.public:
        described["security"] = []
    return described


def parameters_of(operation: Operation) -> list[dict]:
    """Path (shared components for the callbacks), query and header parameters."""
    shared = operation.extra.get("parameters", ())
    parameters = [{"$ref": f"#/components/parameters/{name}"} for name in shared]
    if not shared:
        parameters += [
            {"name": name, "in": "path", "required": True, "schema": schema}
            for name, schema in operation.path_schemas.items()
        ]
    if operation.query is not None:
        parameters += query_parameters(operation.query)
    parameters += [
        {"name": h.name, "in": "header", "required": h.required, "schema": h.schema,
         "description": h.description}
        for h in operation.headers
    ]  # fmt: skip
    return parameters


def request_body(operation: Operation) -> dict | None:
    if operation.body is None:
        return None
    name = operation.body if isinstance(operation.body, str) else operation.body.__name__
    # OVH posts its callbacks as a form (other providers' JSON is theirs to describe).
    media = "application/x-www-form-urlencoded" if operation.extra.get("form") else None
    return {"required": True, "content": {media or "application/json": {"schema": ref(name)}}}


def query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        field = {key: value for key, value in field.items() if key != "title"}
        description = field.pop("description", "")
        parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
        parameters.append(parameter | ({"description": description} if description else {}))
    return parameters


def responses(operation: Operation) -> dict:
    answered: dict = {}
    for status, answer in operation.answers.items():
        text, kind = answer if isinstance(answer, tuple) else ("OK", answer)
        if isinstance(kind, type):
            answered[str(status)] = {"description": text, **json_content(ref(kind.__name__))}
        elif isinstance(kind, str) and "/" not in kind:  # a component: ReplyOptions
            answered[str(status)] = {"description": text, **json_content(ref(kind))}
        elif isinstance(kind, str):  # a media type: text/csv
            answered[str(status)] = {
                "description": text,
                "content": {kind: {"schema": {"type": "string"}}},
            }
        else:
            answered[str(status)] = {"description": text}
        if status in operation.links:
            answered[str(status)]["links"] = operation.links[status]
    statuses = set(operation.errors) | (set() if operation.public else {401})
    for status in sorted(statuses):
        answered[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    return answered


def ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    openapi: Literal["3.1.0"]
    paths: dict[str, Any]


@contract.get(
    "/api/openapi.json",
    "This document",
    answers={200: ("OpenAPI 3.1", OpenApiDocument)},
    public=True,
)
def openapi_document() -> dict:
    return current_app.extensions["smsreply.openapi"]


@functools.cache
def build_document() -> dict:
    """The document of every contract: the API's, the campaigns', this route's."""
    return build([api.api, campaigns_api.api, contract])


def init_app(app) -> None:
    app.extensions["smsreply.openapi"] = build_document()
    app.register_blueprint(bp)
