"""A body cut short is never acknowledged (issue 10, item 3; issue 19, item 3 for bodies
over ``server.max_body_bytes``: campaign uploads as CSV, multipart, JSON or chunked),
through a real gunicorn.

The client announces a Content-Length, sends part of the body and closes its side, as a
connection lost mid-request does. Gunicorn passes on what arrived; smsreply must answer
400 and store nothing, on every route, so the provider's retry with the whole text is
stored instead of being called a duplicate.
"""

import json
import socket
from urllib.parse import urlencode

import pytest

from smsreply.store import Store
from tests.support.served import api
from tests.support.servers import GunicornServer

FULL = "id=cut-1&senderid=%2B33612345678&shortcode=38127&message=Je+confirme+le+RDV+mais+en+retard"


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_database_url):
    tmp_path = tmp_path_factory.mktemp("cut")
    server = GunicornServer(tmp_path, module_database_url).init()
    server.database = module_database_url or tmp_path / "smsreply.db"
    with server:
        yield server


def post_cut_short(
    server, path: str, body: str, content_type: str, cut: int, headers: dict | None = None
) -> bytes:
    """POST announcing ``len(body)`` bytes, send only the first ``cut``, close our side."""
    data = body.encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"{extra}Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head.encode() + data[:cut])
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return answer


def replies(server) -> list[tuple]:
    store = Store.at(server.database)
    try:
        return [(row["provider_id"], row["message"]) for row in store.latest_replies(1000)]
    finally:
        store.close()


FORM = "application/x-www-form-urlencoded"


def test_a_reply_cut_short_is_refused_then_its_retry_is_stored(server):
    cut = FULL.index("+en+retard")
    answer = post_cut_short(server, server.callback_path, FULL, FORM, cut)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"Content-Length" in answer.split(b"\r\n\r\n", 1)[1]  # says why
    assert replies(server) == []
    whole = post_cut_short(server, server.callback_path, FULL, FORM, len(FULL))
    assert whole.startswith(b"HTTP/1.1 200") and b'"duplicate":false' in whole.replace(b" ", b"")
    assert replies(server) == [("cut-1", "Je confirme le RDV mais en retard")]


@pytest.mark.parametrize(
    ("route", "body", "content_type"),
    [
        ("{callback}/dlr", "id=sms-1&status=DELIVRD&x=" + "y" * 40, FORM),
        ("/api/messages", '{"to": "0612345678", "message": "RDV demain ?"}', "application/json"),
        ("/manager/login", "username=admin&password=" + "p" * 40, FORM),
    ],
)
def test_every_route_refuses_a_body_cut_short(server, route, body, content_type):
    path = route.format(callback=server.callback_path)
    answer = post_cut_short(server, path, body, content_type, len(body) // 2)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]


# -- bodies larger than server.max_body_bytes (issue 19, item 3): campaign uploads ----------

CAMPAIGN_LINES = 10_000  # about 170 KB of CSV: over server.max_body_bytes (64 KB)


def campaign_csv() -> str:
    return "prenom;numero\n" + "".join(f"P{n};06{30000000 + n}\n" for n in range(CAMPAIGN_LINES))


def multipart(csv_text: str) -> tuple[str, str]:
    boundary = "----smsreply-cut-short"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("name", "Coupée"), ("message", "Bonjour {prenom}"))
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="recipients"; '
        f'filename="r.csv"\r\nContent-Type: text/csv\r\n\r\n{csv_text}\r\n--{boundary}--\r\n'
    )
    return "".join(parts), f"multipart/form-data; boundary={boundary}"


def json_campaign(csv_text: str) -> str:
    numbers = [line.split(";")[1] for line in csv_text.splitlines()[1:]]
    recipients = [{"prenom": "P", "numero": number} for number in numbers]
    body = {"name": "Coupée", "message": "Bonjour {prenom}", "recipients": recipients}
    return json.dumps(body)


def campaigns(server) -> list[int]:
    """The ids of the stored campaigns (their rows change while earlier ones still send)."""
    store = Store.at(server.database)
    try:
        return [row["id"] for row in store.list_campaigns(100, 0)]
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["csv", "multipart", "json"])
def test_a_campaign_upload_over_the_body_limit_cut_short_stores_nothing(server, kind):
    csv_text = campaign_csv()
    path = "/api/campaigns"
    if kind == "csv":
        body, content_type = csv_text, "text/csv"
        path += "?" + urlencode({"name": "Coupée", "message": "Bonjour {prenom}"})
    elif kind == "multipart":
        body, content_type = multipart(csv_text)
    else:
        body, content_type = json_campaign(csv_text), "application/json"
    assert len(body.encode()) > 65536
    credits = api(server, "POST", "/api/credits", json={"amount": CAMPAIGN_LINES})
    assert credits.status_code == 201
    before = campaigns(server)
    auth = {"Authorization": f"Bearer {server.api_key}"}
    answer = post_cut_short(server, path, body, content_type, len(body) // 2, auth)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:600]
    assert b"Content-Length" in answer.split(b"\r\n\r\n", 1)[1]  # says why
    assert campaigns(server) == before
    whole = post_cut_short(server, path, body, content_type, len(body.encode()), auth)
    assert whole.startswith(b"HTTP/1.1 201"), whole[:600]
    assert len(campaigns(server)) == len(before) + 1


def test_a_chunked_campaign_upload_cut_short_stores_nothing(server):
    """No Content-Length: the chunked encoding ends mid-chunk, then the client closes."""
    path = "/api/campaigns?" + urlencode({"name": "Coupée", "message": "Bonjour {prenom}"})
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
        f"Authorization: Bearer {server.api_key}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    data = campaign_csv().encode()
    chunk = f"{len(data):x}\r\n".encode() + data[: len(data) // 2]
    before = campaigns(server)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head.encode() + chunk)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while part := connection.recv(4096):
            answer += part
    assert answer.startswith(b"HTTP/1.1 400"), answer[:600]
    assert campaigns(server) == before
