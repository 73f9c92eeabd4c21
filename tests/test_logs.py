"""``log.format = "json"`` through a real gunicorn: every line it writes is one JSON object;
a request's access line and the application's lines share its request id (the one sent in
``X-Request-Id``, or a new one), which the answer carries back; no token, key, password or
message text in any line.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from tests.support.served import api, callback, send
from tests.support.servers import GunicornServer

SECRET_TEXT = "mon code secret 4242"


@pytest.fixture
def server(tmp_path, database_url):
    server = GunicornServer(tmp_path, database_url, log_format="json", log_level="INFO").init()
    with server:
        yield server


def lines(server) -> list[dict]:
    return [json.loads(line) for line in server.log.read_text().splitlines() if line.strip()]


def wait_for_line(server, predicate) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [line for line in lines(server) if predicate(line)]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("no such log line")


def test_json_lines_share_the_request_id(server):
    conversation = send(server)
    answer = callback(server, conversation, "json-1", SECRET_TEXT)
    assert answer.status_code == 200
    callback_id = answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", callback_id)
    access = wait_for_line(server, lambda line: line.get("request_id") == callback_id)
    assert access["logger"] == "access" and access["status"] == 200
    assert access["route"] == "/callbacks/<provider>/<token>" and access["method"] == "POST"

    session = requests.Session()
    page = session.get(server.url + "/manager/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "username": "admin", "password": "hunter2-typed", "next": ""}
    given = "nginx-0123456789abcdef"  # as nginx's $request_id arrives
    refused = session.post(
        server.url + "/manager/login", data=form, headers={"X-Request-Id": given}, timeout=10
    )
    assert refused.status_code == 403 and refused.headers["X-Request-Id"] == given
    app_line = wait_for_line(server, lambda line: line["logger"].endswith("manager.auth"))
    access = wait_for_line(
        server, lambda line: line["logger"] == "access" and line["status"] == 403
    )
    assert app_line["request_id"] == access["request_id"] == given
    assert app_line["level"] == "INFO" and "wrong user name or password" in app_line["message"]

    bad = requests.get(
        server.url + "/api/ready", headers={"X-Request-Id": '"}, {"level": "x'}, timeout=5
    )
    assert re.fullmatch(r"[0-9a-f]{16}", bad.headers["X-Request-Id"])  # not taken as given

    text = server.log.read_text()
    every = lines(server)  # every line is JSON, gunicorn's own included
    assert any(line["logger"] == "gunicorn.error" for line in every)
    for secret in (
        server.callback_path.rsplit("/", 1)[1],
        server.api_key,
        "hunter2-typed",
        SECRET_TEXT,
    ):
        assert secret not in text


def test_text_stays_the_default(tmp_path, database_url):
    server = GunicornServer(tmp_path, database_url, log_level="INFO").init()
    with server:
        answer = api(server, "GET", "/api/credits")
        assert "X-Request-Id" not in answer.headers
    assert '"GET /api/credits" 200' in server.log.read_text()
