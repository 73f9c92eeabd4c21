"""A body cut short is never acknowledged (issue 10, item 3), through a real gunicorn.

The client announces a Content-Length, sends part of the body and closes its side, as a
connection lost mid-request does. Gunicorn passes on what arrived; smsreply must answer
400 and store nothing, on every route, so the provider's retry with the whole text is
stored instead of being called a duplicate.
"""

import socket

import pytest

from smsreply.store import Store
from tests.servers import GunicornServer

FULL = "id=cut-1&senderid=%2B33612345678&shortcode=38127&message=Je+confirme+le+RDV+mais+en+retard"


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_database_url):
    tmp_path = tmp_path_factory.mktemp("cut")
    server = GunicornServer(tmp_path, module_database_url).init()
    server.database = module_database_url or tmp_path / "smsreply.db"
    with server:
        yield server


def post_cut_short(server, path: str, body: str, content_type: str, cut: int) -> bytes:
    """POST announcing ``len(body)`` bytes, send only the first ``cut``, close our side."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head.encode() + body.encode()[:cut])
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
