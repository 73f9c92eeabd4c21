"""The OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator), matches the routes,
and describes what the API answers (real answers checked with jsonschema, every object
closed so an undocumented key fails)."""

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from smsreply.web import callbacks
from smsreply.web.document import build_document

DOCUMENT = build_document()

DOCUMENTED_PREFIXES = ("/api/", "/callbacks/")
BODILESS = {("/api/campaigns/{campaign_id}/cancel", "post")}  # the path says it all
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
    assert not actual - documented(), "routes missing from the API contract (web/contract.py)"
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
            parameters = [
                resolve(p["$ref"]) if "$ref" in p else p for p in operation.get("parameters", [])
            ]
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            assert declared == names, (path, method)


def test_operations_document_responses_bodies_and_auth():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["responses"], (path, method)
            if method in ("post", "put") and (path, method) not in BODILESS:
                assert "requestBody" in operation, (path, method)
            public = path in ("/api/health", "/api/ready", "/api/openapi.json")
            public = public or path.startswith("/callbacks")
            assert (operation.get("security") == []) == public, (path, method)
            if not public:
                assert "401" in operation["responses"], (path, method)


def test_the_error_shape():
    error = resolve(DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]["$ref"])
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


def document_accepts(path: str, method: str, query=None, body=None, path_values=None) -> bool:
    """Whether the document says the request is valid, read as Schemathesis reads it: a
    query value of digits is a number, anything else a string."""
    operation = DOCUMENT["paths"][path][method]
    given = {("query", k): v for k, v in (query or {}).items()}
    given |= {("path", k): v for k, v in (path_values or {}).items()}
    for parameter in operation.get("parameters", []):
        parameter = resolve(parameter["$ref"]) if "$ref" in parameter else parameter
        raw = given.get((parameter["in"], parameter["name"]))
        if raw is None:
            continue
        number = parameter["schema"].get("type") == "integer" and re.fullmatch(r"-?[0-9]+", raw)
        if not valid(int(raw) if number else raw, parameter["schema"]):
            return False
    if body is not None:
        return valid(body, operation["requestBody"]["content"]["application/json"]["schema"])
    return True


def valid(value, schema) -> bool:
    return Draft202012Validator({**DOCUMENT, **schema}).is_valid(value)


SMS = {"to": "0612345678", "message": "a"}
DRAFT = {"name": "n", "message": "a", "recipients": ["0612345678"]}
# The disagreements Schemathesis found (issue 21), and neighbours: the document and the
# server now say the same, valid (a 2xx) or not (a 4xx naming the field).
AGREEMENTS = [
    ("get", "/api/campaigns", "/api/campaigns?per_page=0", None, False),
    ("get", "/api/conversations", "/api/conversations?page=57708085774194896", None, False),
    ("get", "/api/replies", "/api/replies?page=111217426", None, False),
    ("get", "/api/replies", "/api/replies?status=", None, False),
    ("get", "/api/replies", "/api/replies?page=1000000&status=handled", None, True),
    ("get", "/api/outbox", "/api/outbox?limit=", None, False),
    ("get", "/api/credits", "/api/credits?limit=abc", None, False),
    ("get", "/api/credits", "/api/credits?limit=1.5", None, False),
    ("get", "/api/credits", "/api/credits?limit=%C2%B2", None, False),
    ("get", "/api/credits", "/api/credits?limit=500", None, True),
    ("post", "/api/credits", "/api/credits", {"amount": 7369655.0}, True),
    ("post", "/api/credits", "/api/credits", {"amount": 1.5}, False),
    ("post", "/api/credits", "/api/credits", {"amount": True}, False),
    ("post", "/api/messages", "/api/messages", {"to": "0612345678", "message": ""}, False),
    ("post", "/api/messages", "/api/messages", {"to": "0612345678", "message": " "}, False),
    ("post", "/api/messages", "/api/messages", {"to": "+33 6 12 34 56 78", "message": "a"}, True),
    ("post", "/api/messages", "/api/messages", {"to": "612345678", "message": "a"}, False),
    ("post", "/api/messages", "/api/messages", {**SMS, "tag": "a\rb"}, False),
    ("post", "/api/messages", "/api/messages", {**SMS, "tag": "rdv\u00a0été"}, True),
    ("post", "/api/campaigns", "/api/campaigns", {**DRAFT, "name": ""}, False),
    ("post", "/api/campaigns", "/api/campaigns", DRAFT, True),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "url", "body", "accepted"), AGREEMENTS)
def test_the_document_and_the_server_agree(client, auth, method, path, url, body, accepted):
    query = dict(re.findall(r"[?&]([^=&]+)=([^&]*)", url))
    query = {key: value.replace("%C2%B2", "²") for key, value in query.items()}
    assert document_accepts(path, method, query=query, body=body) == accepted
    response = getattr(client, method)(url, json=body, headers=auth)
    assert (response.status_code < 300) == accepted, response.get_json()
    if not accepted:
        assert response.status_code == 422 and response.get_json()["error"]["field"]


@pytest.mark.parametrize(
    ("number", "accepted"), [("0", False), ("612345678", False), ("06 12 34 56 78", True)]
)
def test_a_blacklist_number_agrees_with_the_document(client, auth, number, accepted):
    path = "/api/blacklist/{number}"
    assert document_accepts(path, "delete", path_values={"number": number}) == accepted
    response = client.delete(f"/api/blacklist/{number}", headers=auth)
    assert response.status_code == (404 if accepted else 422)  # 404: not on the blacklist


def test_links_lead_from_what_creates_to_what_reads():
    sent = DOCUMENT["paths"]["/api/messages"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in sent.values()} == {"get_conversation"}
    created = DOCUMENT["paths"]["/api/campaigns"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in created.values()} == {
        "get_campaign", "export_campaign", "cancel_campaign"
    }  # fmt: skip
    ids = {op["operationId"] for item in DOCUMENT["paths"].values() for op in item.values()}
    assert {"get_conversation", "get_campaign", "export_campaign", "cancel_campaign"} <= ids
    token = DOCUMENT["components"]["parameters"]["CallbackToken"]
    assert (token["in"], token["required"]) == ("path", True)
    callback = DOCUMENT["paths"]["/callbacks/{provider}/{token}"]["post"]
    assert {"$ref": "#/components/parameters/CallbackToken"} in callback["parameters"]
