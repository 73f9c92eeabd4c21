"""One click, one campaign; one Idempotency-Key, one effect (issue 19, item 2), through a
real gunicorn (two workers) on SQLite and PostgreSQL.

The manager's confirm step clicked three times at once, then once more: one campaign,
credits reserved once, every click lands on that campaign's page. ``POST /api/campaigns``
and ``POST /api/messages`` with an ``Idempotency-Key``: sent again, the same answer and
no second effect; at once, one effect; the same key with another body, a 422.
"""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from smsreply.store import Store
from tests.support.served import api
from tests.support.servers import GunicornServer


@pytest.fixture
def server(tmp_path, database_url):
    server = GunicornServer(tmp_path, database_url, worker_threads=0)
    printed = server.run_init()
    server.api_key = printed["API key"]
    server.admin_password = printed["Password"]
    server.database = database_url or tmp_path / "smsreply.db"
    with server:
        yield server


def stored(server, method: str, *args):
    store = Store.at(server.database)
    try:
        return getattr(store, method)(*args)
    finally:
        store.close()


class Manager:
    """A browser's cookies by hand: the session cookie is Secure, this is plain HTTP."""

    def __init__(self, server) -> None:
        self.server = server
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> requests.Response:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = requests.request(
            method,
            self.server.url + path,
            data=form,
            headers={"Cookie": cookie},
            allow_redirects=False,
            timeout=30,
        )
        for name, value in response.cookies.items():
            self.cookies[name] = value
        return response

    def csrf(self, page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self) -> None:
        token = self.csrf(self.request("GET", "/manager/login").text)
        form = {"username": "admin", "password": self.server.admin_password, "csrf_token": token}
        assert self.request("POST", "/manager/login", form).status_code == 302


def test_three_clicks_on_confirm_make_one_campaign(server):
    manager = Manager(server)
    manager.login()
    page = manager.request("GET", "/manager/campaigns").text
    numbers = "".join(f"06{40000000 + n}\n" for n in range(30))
    form = {"name": "Un clic", "message": "Bonjour !", "numbers": numbers, "tag": "", "send_at": ""}
    checked = manager.request(
        "POST", "/manager/campaigns", {**form, "csrf_token": manager.csrf(page)}
    )
    assert checked.status_code == 200, checked.text[:500]
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    confirm = {**form, "token": token, "confirm": "1", "csrf_token": manager.csrf(checked.text)}
    with ThreadPoolExecutor(3) as pool:
        clicks = list(
            pool.map(lambda _: manager.request("POST", "/manager/campaigns", confirm), range(3))
        )
    later = manager.request("POST", "/manager/campaigns", confirm)
    campaigns = stored(server, "list_campaigns", 10)
    assert len(campaigns) == 1
    where = f"/manager/campaigns/{campaigns[0]['id']}"
    for click in [*clicks, later]:
        assert click.status_code == 302, click.text[:300]
        assert click.headers["Location"].endswith(where)
    assert stored(server, "balance") == 100 - 30


def test_an_idempotency_key_makes_one_campaign_and_gives_the_same_answer(server):
    body = {"name": "Clé", "message": "Bonjour", "recipients": [{"numero": "0612345601"}]}
    key = {"Idempotency-Key": str(uuid.uuid4())}

    def post(json_body):
        return requests.post(
            server.url + "/api/campaigns",
            json=json_body,
            headers={"Authorization": f"Bearer {server.api_key}", **key},
            timeout=30,
        )

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: post(body), range(4)))
    answers.append(post(body))
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.text for answer in answers}) == 1
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in answers) == 4
    assert len(stored(server, "list_campaigns", 10)) == 1
    assert stored(server, "balance") == 99
    other = post({**body, "name": "Autre"})
    assert other.status_code == 422 and other.json()["error"]["field"] == "Idempotency-Key"
    assert "another request" in other.json()["error"]["message"]
    assert len(stored(server, "list_campaigns", 10)) == 1


def test_an_idempotency_key_sends_one_message(server):
    def post(message: str, key: str) -> requests.Response:
        return requests.post(
            server.url + "/api/messages",
            json={"to": "0612345678", "message": message},
            headers={"Authorization": f"Bearer {server.api_key}", "Idempotency-Key": key},
            timeout=30,
        )

    key = str(uuid.uuid4())
    first, again = post("RDV demain ?", key), post("RDV demain ?", key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert post("Autre chose", key).status_code == 422
    other_key = str(uuid.uuid4())
    refused, refused_again = post("x" * 2000, other_key), post("x" * 2000, other_key)
    assert refused.status_code == refused_again.status_code == 422  # a 4xx is kept too
    assert refused_again.headers["Idempotent-Replayed"] == "true"
    assert stored(server, "query", "SELECT count(*) AS n FROM outgoing")[0]["n"] == 1
    assert api(server, "GET", "/api/credits").json()["balance"] == 99
    bad = post("RDV", "a key with spaces")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "Idempotency-Key"


def test_kept_answers_are_purged_after_a_day(server):
    store = Store.at(server.database)
    try:
        now = time.time()
        assert store.reserve_request("api:x", "k1", "h", now - 90000, 86400) is None
        assert store.kept_request("api:x", "k1") is not None
        assert store.reserve_request("api:x", "k2", "h", now, 86400) is None
        assert store.kept_request("api:x", "k1") is None  # older than 24 h: gone
        assert store.reserve_request("api:x", "k2", "h", now, 86400)["key"] == "k2"
    finally:
        store.close()
