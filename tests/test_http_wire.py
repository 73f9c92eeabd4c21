"""HTTP/1.1 as the http provider speaks it (``smsreply/providers/http_wire.py``): requests
as bytes, and answers read from recorded bytes — lengths, chunks, answers up to the end,
interim ``1xx``, keep-alive or not, and what is refused."""

from __future__ import annotations

import io

import pytest

from smsreply.providers.http_wire import BadAnswer, NotAnswered, read_answer, request


def answer(raw: bytes):
    return read_answer(io.BufferedReader(io.BytesIO(raw)))


def test_a_request_is_its_head_and_body_in_one():
    wire = request("POST", "/send?x=1", "gw:1401", {"User-Agent": "smsreply"}, b"to=33612")
    assert wire == (
        b"POST /send?x=1 HTTP/1.1\r\nHost: gw:1401\r\nUser-Agent: smsreply\r\n"
        b"Accept-Encoding: identity\r\nContent-Length: 8\r\n\r\nto=33612"
    )
    get = request("GET", "/send", "gw", {"accept-encoding": "gzip"}, None)
    assert get == b"GET /send HTTP/1.1\r\nHost: gw\r\naccept-encoding: gzip\r\n\r\n"


@pytest.mark.parametrize(
    "target, headers",
    [("/send", {"X-Token": "a\r\nX-Evil: 1"}), ("/send x", {}), ("/send", {"X\n": "v"})],
)
def test_a_request_that_would_smuggle_a_header_is_refused(target, headers):
    with pytest.raises(ValueError):
        request("POST", target, "gw", headers, b"")


def test_an_answer_by_content_length_keeps_the_connection():
    raw = b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nSuccess "7"'
    got = answer(raw + b"\n" + b"next answer")
    assert got.status == 200 and got.body == b'Success "7"\n' and got.reusable
    assert got.headers == {"content-type": "text/plain", "content-length": "12"}


def test_a_chunked_answer_with_extensions_and_trailers():
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\nSucc\r\n7\r\ness "7"\r\n0\r\nX-Trailer: t\r\n\r\n'
    )
    got = answer(raw)
    assert got.body == b'Success "7"' and got.reusable


def test_an_answer_up_to_the_end_and_http_1_0_close_the_connection():
    got = answer(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
    assert got.body == b"all of it" and not got.reusable
    closing = answer(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert closing.status == 502 and closing.body == b"" and not closing.reusable
    old = answer(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert old.body == b"ok" and not old.reusable
    kept = answer(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok")
    assert kept.reusable


def test_interim_answers_are_skipped_and_folded_headers_joined():
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nX-Note: one\r\n two\r\nX-Note: three\r\nContent-Length: 0\r\n\r\n"
    )
    got = answer(raw)
    assert got.status == 201 and got.headers["x-note"] == "one two, three"
    assert answer(b"HTTP/1.1 204 No Content\r\n\r\n").body == b""


def test_no_answer_at_all_is_told_apart():
    with pytest.raises(NotAnswered):
        answer(b"")
    assert issubclass(NotAnswered, ConnectionResetError)  # what a reset before answering is


@pytest.mark.parametrize(
    "raw",
    [
        b"SMTP 220 ready\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n",  # cut inside the headers
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX: " + b"y" * 70000 + b"\r\n\r\n",
    ],
)
def test_unreadable_answers_are_refused(raw):
    with pytest.raises(BadAnswer):
        answer(raw)
