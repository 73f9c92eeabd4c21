"""Script actions end to end through gunicorn: cgi, handler and url, as a provider sees them."""

from __future__ import annotations

import http.client
import shutil
from urllib.parse import urlencode, urlsplit

import pytest

from tests.support.actions import ROOT, reply_form, write_script
from tests.support.httpapp import LocalServer
from tests.support.served import api, send
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for
from tests.test_url_action import CustomerApp


@pytest.fixture
def server(tmp_path, database_url):
    server = GunicornServer(
        tmp_path,
        database_url,
        cgi_directory=tmp_path / "cgi-bin",
        handlers_directory=tmp_path / "handlers",
    )
    printed = server.run_init()
    server.api_key = printed["API key"]
    server.callback_path = urlsplit(printed["Callback URL"]).path
    with server:
        yield server


def raw_callback(server, conversation, provider_id, message, headers=()):
    """POST the callback with exact header names (requests would normalise nothing, but
    http.client lets a test send `X_Spoof` as a provider's proxy might)."""
    body = urlencode(reply_form(conversation, message, provider_id))
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("POST", server.callback_path)
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(len(body)))
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders(body.encode())
    status = connection.getresponse().status
    connection.close()
    return status


def outbox_texts(server):
    return [
        item["message"] for item in api(server, "GET", "/api/outbox?limit=200").json()["outbox"]
    ]


def test_cgi_script_through_gunicorn(server, tmp_path):
    write_script(
        tmp_path / "cgi-bin",
        "vars.sh",
        """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'sender=%s proxy=%s spoof=%s trace=%s\\n' "$X_SMSREPLY_SENDER" "${HTTP_PROXY-unset}" \\
  "${HTTP_X_SPOOF-unset}" "${HTTP_X_TRACE-unset}"
""",
    )
    assert (
        api(
            server, "PUT", "/api/reply-options", json={"action": "cgi", "script": "vars.sh"}
        ).status_code
        == 200
    )
    conversation = send(server)
    headers = [("Proxy", "http://evil.example"), ("X_Spoof", "1"), ("X-Trace", "t1")]
    assert raw_callback(server, conversation, "g1", "OUI", headers) == 200
    expected = "sender=+33612345678 proxy=unset spoof=unset trace=t1"
    assert wait_for(lambda: expected in outbox_texts(server))


def test_handler_through_gunicorn(server, tmp_path):
    write_script(
        tmp_path / "handlers",
        "shout.py",
        "def handle(reply):\n    return reply.message.upper()\n",
        executable=False,
    )
    api(server, "PUT", "/api/reply-options", json={"action": "handler", "handler": "shout.py"})
    conversation = send(server)
    assert raw_callback(server, conversation, "h1", "vite") == 200
    assert wait_for(lambda: "VITE" in outbox_texts(server))


def test_url_action_through_gunicorn(server):
    customer = CustomerApp()
    with LocalServer(customer) as site:
        api(
            server,
            "PUT",
            "/api/reply-options",
            json={"action": "url", "url": site.url + "/sms", "use_response": True},
        )
        conversation = send(server)
        assert raw_callback(server, conversation, "u1", "Salut") == 200
        assert wait_for(lambda: "Reçu Salut de +33612345678" in outbox_texts(server))
    assert customer.calls[0]["id"] == "u1"


def test_quiz_conversation_stays_with_its_handler(server, tmp_path):
    """Issue 11 item 6: "QUIZ" starts the quiz; "canberra" (not a keyword) still reaches it."""
    handlers = tmp_path / "handlers"
    handlers.mkdir()
    shutil.copy(ROOT / "handlers" / "quiz.py", handlers / "quiz.py")
    options = {
        "action": "text",
        "text": "Répondez QUIZ pour jouer.",
        "rules": [{"keyword": "QUIZ", "action": "handler", "handler": "quiz.py"}],
    }
    assert api(server, "PUT", "/api/reply-options", json=options).status_code == 200
    conversation = send(server, message="Quiz ! Répondez QUIZ pour commencer.")
    turns = [
        ("QUIZ", "Question 1/3 : Quelle est la capitale de l'Australie ?"),
        ("canberra", "Bonne réponse ! Question 2/3 : Combien de côtés a un hexagone ?"),
        ("6", "Bonne réponse ! Question 3/3"),
        ("CO2", "Bonne réponse ! Score : 3/3. Merci d'avoir joué !"),
    ]
    for number, (message, expected) in enumerate(turns):
        assert raw_callback(server, conversation, f"quiz-{number}", message) == 200
        assert wait_for(
            lambda expected=expected: any(
                text.startswith(expected) for text in outbox_texts(server)
            )
        ), (message, outbox_texts(server))
    detail = api(server, "GET", f"/api/conversations/{conversation['id']}").json()
    assert [reply["outcome"]["rule"] for reply in detail["replies"]] == ["keyword QUIZ"] * 4
    assert {reply["result"] for reply in detail["replies"]} == {"answered"}
    assert "Répondez QUIZ pour jouer." not in outbox_texts(server)
