"""A running server seen from outside: its API with the key ``run_init`` printed, and replies
posted to its callback as OVH posts them (``actions.reply_form``); the server object of
``servers.GunicornServer``, with ``api_key`` and ``callback_path`` set as
``tests/test_e2e.py``'s fixture does."""

from __future__ import annotations

import requests

from tests.support.actions import reply_form

ANSWER = "Merci, c'est noté."


def api(server, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {server.api_key}"}
    return requests.request(method, server.url + path, headers=headers, timeout=10, **kwargs)


def set_text_answer(server):
    response = api(server, "PUT", "/api/reply-options", json={"action": "text", "text": ANSWER})
    assert response.status_code == 200


def send(server, to="0612345678", message="RDV demain 10h. Répondez OUI ou NON."):
    response = api(server, "POST", "/api/messages", json={"to": to, "message": message})
    assert response.status_code == 201, response.text
    return response.json()


def callback(server, conversation, provider_id, message="OUI", sender=None):
    form = reply_form(conversation, message, provider_id, sender)
    return requests.post(server.url + server.callback_path, data=form, timeout=10)


def answers(server, text=ANSWER):
    outbox = api(server, "GET", "/api/outbox?limit=500").json()["outbox"]
    return [item for item in outbox if item["message"] == text]
