"""End to end through a real gunicorn on a loopback port, with its background workers.

send → OVH-shaped callback → the predefined answer in the simulator's outbox; duplicate
callbacks; many concurrent callbacks on two workers; a kill -9 after the callback was
acknowledged and before the answer was sent, then a restart: exactly one answer.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.served import answers, api, callback, send, set_text_answer
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for


@pytest.fixture
def server(tmp_path, database_url):
    server = GunicornServer(tmp_path, database_url)
    printed = server.run_init()
    server.start()
    server.api_key = printed["API key"]
    server.callback_path = urlsplit(printed["Callback URL"]).path
    yield server
    server.stop()


def test_send_reply_answer(server):
    set_text_answer(server)
    conversation = send(server)
    response = callback(server, conversation, "ovh-1")
    assert response.status_code == 200
    assert wait_for(lambda: len(answers(server)) == 1)
    answer = answers(server)[0]
    assert answer["recipient"] == "+33612345678"
    assert answer["shortcode"] == conversation["shortcode"]
    assert api(server, "GET", "/api/credits").json()["balance"] == 97
    # the access log names the route, never the callback token (it is the credential)
    log = server.log.read_text()
    assert '"POST /callbacks/<provider>/<token>" 200' in log
    assert server.callback_path.rsplit("/", 1)[1] not in log


def test_duplicate_wrong_token_and_no_credit(server):
    set_text_answer(server)
    conversation = send(server)
    assert callback(server, conversation, "dup").status_code == 200
    second = callback(server, conversation, "dup")
    assert second.status_code == 200 and second.json()["duplicate"] is True
    assert requests.post(server.url + "/callbacks/ovh/nope", data={}, timeout=5).status_code == 403
    assert wait_for(lambda: len(answers(server)) == 1)
    time.sleep(1.0)  # a second answer, if any, would have come by now
    assert len(answers(server)) == 1
    big = api(server, "POST", "/api/messages", json={"to": "0612345678", "message": "ç" * 600})
    assert big.status_code == 422  # 9 parts > 6
    balance = api(server, "GET", "/api/credits").json()["balance"]
    text = "a" * 900  # 6 parts each
    for _ in range(balance // 6):
        api(server, "POST", "/api/messages", json={"to": "0612345678", "message": text})
    refused = api(server, "POST", "/api/messages", json={"to": "0612345678", "message": text})
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "insufficient_credits"
    assert api(server, "GET", "/api/credits").json()["balance"] >= 0


def test_concurrent_callbacks_from_many_clients(server):
    set_text_answer(server)
    api(server, "POST", "/api/credits", json={"amount": 1000})
    numbers = [f"06123456{n:02d}" for n in range(20)]
    conversations = [send(server, to=number) for number in numbers]
    jobs = [
        (conversation, f"c-{i}-{k}")
        for i, conversation in enumerate(conversations)
        for k in range(10)
    ]
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda job: callback(server, *job).status_code, jobs))
        # the same 200 callbacks again, at once: all duplicates
        repeats = list(pool.map(lambda job: callback(server, *job).json()["duplicate"], jobs))
    assert statuses == [200] * len(jobs)
    assert all(repeats)
    assert wait_for(lambda: len(answers(server)) == len(jobs), timeout=30)
    time.sleep(1.0)
    assert len(answers(server)) == len(jobs)
    assert "database is locked" not in server.log.read_text()


def test_kill_9_after_ack_then_restart_answers_exactly_once(tmp_path, database_url):
    # Background work off: the callback is acknowledged, the answer not yet sent.
    server = GunicornServer(tmp_path, database_url, worker_threads=0, worker_lease_seconds=2)
    printed = server.run_init()
    server.api_key = printed["API key"]
    server.callback_path = urlsplit(printed["Callback URL"]).path
    with server:
        set_text_answer(server)
        conversation = send(server)
        assert callback(server, conversation, "crash-1").status_code == 200
        assert answers(server) == []
        server.kill9()
    server.env["SMSREPLY_WORKER_THREADS"] = "4"
    with server:
        assert wait_for(lambda: len(answers(server)) == 1)
        assert callback(server, conversation, "crash-1").json()["duplicate"] is True
        time.sleep(1.5)
        assert len(answers(server)) == 1
        # and the message itself, queued before the crash, was sent once
        sent = [
            item
            for item in api(server, "GET", "/api/outbox").json()["outbox"]
            if item["message"] == conversation["message"]
        ]
        assert len(sent) == 1
