"""Faults survived, through a real gunicorn: kill -9 of workers and of the master mid-burst,
an operator answering 500 or hanging, a full disk, scripts that hang or fork, and hostile
callbacks (hypothesis in-process for volume, raw bytes through gunicorn).

Every acknowledged reply must be answered exactly once. The scenarios are the ones of
``make faults`` (``bench/faults.py``), run here small; the figures are in
``docs/reliability.md``. ``SMSREPLY_FAULT_EXAMPLES`` raises the number of hostile callbacks.
"""

from __future__ import annotations

import json
import os
import random
import socket
import string
import time
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.faults import kill_during_burst, operator_fault, script_faults
from bench.storage import storage_fault
from smsreply import receiving
from smsreply.engine.heartbeat import Lease
from smsreply.providers import InboundReply
from smsreply.store import Store
from tests.conftest import ON_POSTGRES
from tests.support.servers import GunicornServer

EXAMPLES = int(os.environ.get("SMSREPLY_FAULT_EXAMPLES", "600"))


def exactly_once(result: dict) -> None:
    assert result["acknowledged"] == result["replies"]  # all, after the provider's retries
    assert result["lost"] == 0 and result["duplicated"] == 0, result


def test_kill_9_of_the_workers_mid_burst(tmp_path, database_url):
    result = kill_during_burst(tmp_path, 300, master=False, database=database_url)
    exactly_once(result)


def test_kill_9_of_the_master_mid_burst_then_restart(tmp_path, database_url):
    result = kill_during_burst(tmp_path, 300, master=True, database=database_url)
    exactly_once(result)
    assert result["reposted"] > 0  # the kill did cut the burst


@pytest.mark.parametrize("mode", ["500", "hang"])
def test_operator_failing_for_a_while(tmp_path, mode, database_url):
    result = operator_fault(tmp_path, 150, mode, seconds=2.0, database=database_url)
    exactly_once(result)
    assert result["refused_by_operator"] > 0


@pytest.mark.skipif(ON_POSTGRES, reason="about the SQLite file's disk (PostgreSQL: its server's)")
def test_disk_full(tmp_path):
    result = storage_fault(tmp_path, 200, "full")
    if "skipped" in result:
        pytest.skip(result["skipped"])
    exactly_once(result)
    assert result["during_fault"].get("503") and "disk is full" in result["error"]
    assert result["server_kept_running"]


def test_scripts_that_hang_or_fork_are_killed(tmp_path, database_url):
    result = script_faults(tmp_path, 150, database=database_url)
    exactly_once(result)
    assert result["hanging_scripts"] == 16 and result["processes_left"] == 0


# -- hostile callbacks, in-process ---------------------------------------------------------

FIELDS = ["shortcode", "tag", "id", "senderid", "message"]
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["+33612345678", "0612345678", "38127", "OUI", "STOP", "", " "]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=5000),
)
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), texts)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"message=%ff%fe", b"id=%C3%28&senderid=1", b"a=" + b"x" * 70000]),
)
content_types = st.sampled_from(
    ["application/x-www-form-urlencoded", "application/json", "multipart/form-data", "", "x/y"]
)
jsons = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def test_hostile_callbacks_in_process(app, service):
    client = app.test_client()
    token = app.config["callback_token"]
    # One character changed (a token that starts with "x" made "x" + token[1:] the token
    # itself, one run in 64).
    wrong_token = ("y" if token[0] == "x" else "x") + token[1:]
    stored: set[str] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        good_token=st.booleans(),
        provider=st.sampled_from(["ovh", "ovh", "simulator", "nope", "ovh/dlr"]),
        method=st.sampled_from(["POST", "POST", "GET", "PUT"]),
        kind=st.sampled_from(["form", "raw", "json"]),
        form=forms,
        raw=raw_bodies,
        data=jsons,
        content_type=content_types,
    )
    def hostile(good_token, provider, method, kind, form, raw, data, content_type):
        path = f"/callbacks/{provider}/{token if good_token else wrong_token}"
        if kind == "form":
            response = client.open(path, method=method, data=form)
        elif kind == "json":
            response = client.open(path, method=method, json=data)
        else:
            response = client.open(path, method=method, data=raw, content_type=content_type)
        assert response.status_code < 500, response.get_data()[:300]
        if response.status_code == 200 and not response.is_json:
            return
        body = response.get_json(silent=True) or {}
        if response.status_code == 200 and not body.get("duplicate", True):
            stored.add(str(body["reply_id"]))
        assert good_token or response.status_code in (403, 404, 405)

    hostile()
    rows = service.store.query("SELECT id, sender, message, status, reason FROM replies")
    assert {str(row["id"]) for row in rows} == stored  # nothing else was stored
    for row in rows:
        assert "\x00" not in row["message"] and len(row["message"]) <= 2000
        assert row["reason"] is not None or row["sender"].startswith("+33")


# -- well-formed requests carrying hostile values, in-process -------------------------------

HOSTILE = [
    "\ud800",
    "x\u2028y",
    "a\r\nX-Injected: 1",
    "%0d%0aX",
    "\x00",
    "²",
    "99999999999999999999",
    "-1",
    "a" * 3000,
    "[" * 2000,
    "d\xe9j\xe0",
    "../../etc/passwd",
]
values = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE))
json_values = st.one_of(values, jsons, st.integers(min_value=-(10**30), max_value=10**30))


def as_json(data: object) -> str:
    """JSON text as an attacker writes it: lone surrogates escaped, deep nesting allowed."""
    return json.dumps(data, ensure_ascii=True)


def raw(text: str) -> bytes:
    """Text as bytes, lone surrogates included (as invalid UTF-8, as a client may send)."""
    return text.encode("utf-8", "surrogatepass")


def test_well_formed_requests_with_hostile_values(app, service, auth):
    client = app.test_client()
    callback = f"/callbacks/ovh/{app.config['callback_token']}"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        kind=st.sampled_from(["form", "json", "dlr", "api", "query", "path", "manager"]),
        one=values,
        two=json_values,
        deep=st.integers(min_value=0, max_value=40000),
    )
    def hostile(kind, one, two, deep):
        fields = {"id": "h1", "senderid": "+33612345678", "shortcode": "38127", "message": one}
        if kind == "form":
            body = urlencode({k: raw(v) for k, v in fields.items()})
            response = client.post(
                callback, data=body, content_type="application/x-www-form-urlencoded"
            )
        elif kind == "json":
            text = as_json({**fields, "tag": two})
            if deep:
                text = text[:-1] + ', "x": ' + "[" * deep + "]" * deep + "}"
            response = client.post(callback, data=text, content_type="application/json")
        elif kind == "dlr":
            text = as_json({"id": one, "status": two})
            response = client.post(callback + "/dlr", data=text, content_type="application/json")
        elif kind == "api":
            text = as_json({"to": one, "message": two if deep % 2 else one})
            response = client.post(
                "/api/messages", data=text, content_type="application/json", headers=auth
            )
        elif kind == "query":
            query = urlencode(
                {k: raw(v) for k, v in {"page": one, "per_page": str(two), "tag": one}.items()}
            )
            response = client.get("/api/conversations?" + query, headers=auth)
        elif kind == "path":
            response = client.get(f"/api/conversations/{quote(raw(one), safe='')}", headers=auth)
        else:
            next_url = "/manager/" + quote(raw(one), safe="/")
            response = client.get("/manager/lang/en?next=" + quote(next_url, safe=""))
        assert response.status_code < 500, (kind, response.get_data()[:300])

    hostile()
    for row in service.store.query("SELECT message FROM replies"):
        assert "\x00" not in row["message"]


# -- hostile callbacks, through gunicorn -----------------------------------------------------


def garbage(rng: random.Random, path: str) -> tuple[int, bytes]:
    """One request that is wrong in some way, and its kind: at the HTTP level or in its
    fields (kind 2, a whole reply whose Content-Length says more, must never be a 200)."""
    choice = rng.randrange(6)
    return choice, _garbage(rng, path, choice)


def _garbage(rng: random.Random, path: str, choice: int) -> bytes:
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    if choice == 1:  # a header line far over gunicorn's limit
        return f"POST {path} HTTP/1.1\r\nX-A: {'a' * 20000}\r\n\r\n".encode()
    if choice == 2:  # a well-formed reply whose Content-Length says more than comes
        body = f"id=cut{rng.randrange(10**6)}&senderid=%2B33612345678&shortcode=38127&message=OUI"
        head = f"POST {path} HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        return f"{head}Content-Length: {len(body) + 20}\r\n\r\n{body}".encode()
    if choice == 3:  # broken chunked encoding
        return f"POST {path} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx".encode()
    body = "&".join(
        f"{rng.choice(FIELDS)}={''.join(rng.choices(string.printable, k=rng.randrange(30)))}"
        for _ in range(rng.randrange(8))
    ).encode() + bytes(rng.randrange(256) for _ in range(rng.randrange(3)))
    target = path if choice == 4 else "/callbacks/ovh/wrong-token"
    head = f"POST {target} HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def test_hostile_callbacks_through_gunicorn(tmp_path, database_url):
    server = GunicornServer(tmp_path, database_url).init()
    path = server.callback_path
    rng = random.Random(6)
    statuses, cut_short = [], []
    with server:
        for _ in range(300):
            kind, request = garbage(rng, path)
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
                connection.sendall(request)
                connection.shutdown(socket.SHUT_WR)  # a short body ends here, not at a timeout
                answer = connection.recv(64)
            statuses.append(int(answer.split()[1]) if answer.startswith(b"HTTP/") else 0)
            if kind == 2:
                cut_short.append(statuses[-1])
        alive = server._healthy(server.port)
        log = server.log.read_text()
    assert alive and not [code for code in statuses if code >= 500]
    assert cut_short and set(cut_short) == {400}  # a reply cut short is never acknowledged
    assert statuses.count(400) > 10 and statuses.count(403) > 10 and 200 in statuses
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
    store = Store(tmp_path / "smsreply.db", url=database_url)
    stored = len(store.latest_replies(10_000))
    store.close()
    assert stored <= statuses.count(200)  # nothing without its 200


def test_a_reply_queued_past_half_its_lease_is_handled_at_once(service):
    """A long backlog: the claim taken when the reply was stored is renewed, not dropped
    (which would leave the reply to the sweeper until the claim ran out)."""
    service.set_reply_options({"action": "text", "text": "Merci"})
    conversation = service.send_message("0612345678", "RDV demain ?")
    service.drain()
    lease = Lease("late", time.time(), time.time() + 1.0)  # under half of the lease left
    inbound = InboundReply("late-1", "+33612345678", "OUI", conversation["shortcode"])
    received = receiving.describe(service.clock, inbound, "ovh")  # as the callback stores it
    reply, _ = receiving.store_reply(service.store, service.settings, received, lease)
    work = service.engine.handle_reply(reply["id"], lease)  # as a worker takes the job
    assert len(work.sms) == 1 and service.engine.send_sms(work.sms[0], work.leases[work.sms[0]])
    row = service.store.get("replies", reply["id"])
    assert row["status"] == "handled" and row["attempts"] == 1
