"""The OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator), matches the routes,
and describes what the API answers (real answers checked with jsonschema, every object
closed so an undocumented key fails)."""

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from smsreply.web import callbacks
from smsreply.web.openapi import DOCUMENT

DOCUMENTED_PREFIXES = ("/api/", "/callbacks/")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every rule under the documented prefixes: the Flask app's,
    and the callbacks' own WSGI app's (``smsreply/web/callbacks.py``)."""
    found = set()
    rules = [(rule.rule, rule.methods) for rule in app.url_map.iter_rules()]
    for rule, methods in [*rules, *callbacks.ROUTES.items()]:
        if not rule.startswith(DOCUMENTED_PREFIXES):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
        found |= {(path, method.lower()) for method in set(methods) - IGNORED_METHODS}
    return found


def documented() -> set[tuple[str, str]]:
    return {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}


def test_every_route_is_documented_and_nothing_else(app):
    actual = routes(app)
    assert ("/api/messages", "post") in actual  # the walk works
    assert ("/callbacks/{provider}/{token}", "post") in actual
    assert not actual - documented(), "routes missing from smsreply/web/openapi.py"
    assert not documented() - actual, "documented routes that do not exist"


def test_served_without_auth_as_openapi_31(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["openapi"] == "3.1.0"
    assert data["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert data["security"] == [{"bearerAuth": []}]


def walk(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def resolve(pointer: str):
    node = DOCUMENT
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_reference_resolves():
    refs = [value for _, key, value in walk(DOCUMENT) if key == "$ref"]
    assert len(refs) > 20
    for ref in refs:
        assert resolve(ref), ref


def test_path_parameters_are_declared():
    for path, item in DOCUMENT["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)


def test_operations_document_responses_bodies_and_auth():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (path, method)
            if method in ("post", "put"):
                assert "requestBody" in operation, (path, method)
            public = path in ("/api/health", "/api/ready", "/api/openapi.json")
            public = public or path.startswith("/callbacks")
            assert (operation.get("security") == []) == public, (path, method)
            if not public:
                assert "401" in operation["responses"], (path, method)


def test_the_error_shape():
    error = DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["properties"]) == {"code", "message", "field"}
    assert error["required"] == ["code", "message"]
    for response in DOCUMENT["components"]["responses"].values():
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def strict(node, close: bool = True):
    """The document with every object schema closed (``unevaluatedProperties: false``),
    so an answer cannot grow an undocumented key. The parts of an ``allOf`` are inlined
    open and the whole is closed: it sees the properties of every part."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value) for key, value in node.items() if key != "allOf"}
    if "allOf" in node:
        parts = [resolve(part["$ref"]) if "$ref" in part else part for part in node["allOf"]]
        out["allOf"] = [strict(part, close=False) for part in parts]
    closable = "properties" in node or "allOf" in node
    if close and closable and "additionalProperties" not in node:
        out["unevaluatedProperties"] = False
    return out


STRICT = strict(DOCUMENT)


def check(value, schema) -> bool:
    """``value`` against ``schema`` (whose ``$ref``s point into the document) with
    jsonschema's Draft 2020-12 validator, OpenAPI 3.1's dialect."""
    # The whole document is the root, so "#/components/..." resolves; its other keys
    # (openapi, paths…) are not schema keywords and are ignored.
    root = {**STRICT, **strict(schema)}
    errors = list(Draft202012Validator(root).iter_errors(value))
    return not errors


def test_the_document_is_valid_openapi_31():
    validate(DOCUMENT)  # openapi-spec-validator: the structure and every schema
    broken = dict(DOCUMENT, paths={"/api/x": {"get": {"responses": {"200": {"oops": 1}}}}})
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def answer_schema(path: str, method: str, status: int) -> dict:
    response = DOCUMENT["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = resolve(response["$ref"])
    return response["content"]["application/json"]["schema"]


def test_real_answers_match_their_schemas(client, auth, service, callback_url):
    service.set_reply_options({"action": "text", "text": "Merci"})
    sent = client.post("/api/messages", json={"to": "0612345678", "message": "RDV ?"}, headers=auth)
    assert check(sent.get_json(), answer_schema("/api/messages", "post", 201))
    conversation = sent.get_json()
    form = {"id": "r1", "senderid": "+33612345678", "message": "OUI"}
    reply = client.post(callback_url, data={**form, "shortcode": conversation["shortcode"]})
    assert check(reply.get_json(), answer_schema("/callbacks/{provider}/{token}", "post", 200))
    service.drain()
    cases = [
        ("/api/conversations", "/api/conversations", 200),
        (f"/api/conversations/{conversation['id']}", "/api/conversations/{conversation_id}", 200),
        ("/api/reply-options", "/api/reply-options", 200),
        ("/api/credits", "/api/credits", 200),
        ("/api/outbox", "/api/outbox", 200),
        ("/api/replies", "/api/replies", 200),
        ("/api/replies?result=answered", "/api/replies", 200),
        ("/api/conversations/999", "/api/conversations/{conversation_id}", 404),
    ]
    for url, path, status in cases:
        response = client.get(url, headers=auth)
        assert response.status_code == status, url
        assert check(response.get_json(), answer_schema(path, "get", status)), url
    listed = client.get("/api/replies?result=answered", headers=auth).get_json()["replies"]
    assert listed[0]["result"] == "answered" and listed[0]["conversation_id"]
    detail = client.get(f"/api/conversations/{conversation['id']}", headers=auth).get_json()
    assert detail["replies"][0]["answer"]["message"] == "Merci"  # the check saw a full thread
    bad = client.post("/api/messages", json={"to": "0123456789", "message": "x"}, headers=auth)
    assert check(bad.get_json(), answer_schema("/api/messages", "post", 422))
    assert not check({"error": {"message": "no code"}}, answer_schema("/api/messages", "post", 422))
    assert not check(
        {"balance": 1, "ledger": [], "surprise": 1}, answer_schema("/api/credits", "get", 200)
    )
