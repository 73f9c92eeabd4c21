"""A reply is never lost to its encoding (issue 10, item 4).

OVH does not document its callback's encoding; ``message=d%E9j%E0`` (Latin-1) was
refused with a 400, so the reply was lost. Bytes are read as UTF-8, else as
Windows-1252; which one was used is stored, with the raw request when it was a guess,
and the reply is handled like any other. The same for Kannel and the generic gateway.
"""

from urllib.parse import unquote_to_bytes

import pytest

from smsreply.accounts.credentials import ensure_callback_token
from smsreply.settings import load_settings
from smsreply.web import create_app
from smsreply.web.charsets import decode, form_pairs

NUMBER = "+33612345678"


@pytest.fixture
def conversation(service):
    service.set_reply_options({"action": "text", "text": "Bien reçu"})
    conversation = service.send_message("0612345678", "RDV demain ?")
    service.drain()
    return conversation


def stored(service, provider_id: str) -> dict:
    rows = service.store.query("SELECT * FROM replies WHERE provider_id = ?", (provider_id,))
    assert len(rows) == 1
    return rows[0]


def test_a_latin1_ovh_reply_is_stored_with_its_charset_and_handled(
    client, callback_url, service, conversation
):
    body = f"id=l1&senderid=%2B33612345678&shortcode={conversation['shortcode']}&message=d%E9j%E0"
    response = client.post(
        callback_url, data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.get_data()
    row = stored(service, "l1")
    assert (row["message"], row["charset"]) == ("déjà", "windows-1252")
    assert unquote_to_bytes(row["raw_request"]) == body.encode()
    service.drain()
    row = stored(service, "l1")
    assert row["status"] == "handled" and row["answer_id"] is not None


def test_utf8_stays_utf8_and_keeps_no_raw_copy(client, callback_url, service, conversation):
    body = "id=u1&senderid=%2B33612345678&message=d%C3%A9j%C3%A0+%E2%82%AC"
    assert client.post(callback_url + "?" + body).status_code == 200
    row = stored(service, "u1")
    assert (row["message"], row["charset"], row["raw_request"]) == ("déjà €", "utf-8", None)


def test_windows_1252_letters_beyond_latin1():
    assert decode(b"\x80 \x9c\x85 \x81") == ("€ œ… \x81", "windows-1252")
    assert form_pairs(b"message=%93OK%94", 8) == ({"message": "“OK”"}, "windows-1252")


def provider_app(tmp_path, database_url, **overrides):
    database = {"database.path": str(tmp_path / "p.db"), "database.url": database_url}
    settings = load_settings(None, env={}, overrides=database | overrides)
    app = create_app(settings, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    return app, service, ensure_callback_token(service.store)


def test_kannel_latin1_text_is_kept(tmp_path, database_url):
    kannel = {"provider.name": "kannel", "kannel.username": "u", "kannel.password": "p"}
    app, service, token = provider_app(tmp_path, database_url, **kannel)
    query = "id=k1&from=%2B33612345678&to=38123&text=caf%E9+cr%E8me&coding=0&charset=UTF-8"
    response = app.test_client().get(f"/callbacks/kannel/{token}?{query}")
    assert response.status_code == 200, response.get_data()
    row = stored(service, "k1")
    assert (row["message"], row["charset"]) == ("café crème", "windows-1252")


def test_http_gateway_latin1_form_and_json_are_kept(tmp_path, database_url):
    app, service, token = provider_app(
        tmp_path,
        database_url,
        **{"provider.name": "http", "http.send_url": "http://127.0.0.1:9/send"},
    )
    client = app.test_client()
    form = b"id=h1&from=%2B33612345678&to=38123&content=r%E9ponse"
    assert (
        client.post(
            f"/callbacks/http/{token}", data=form, content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    raw_json = b'{"id": "h2", "from": "+33612345678", "to": "38123", "content": "\xe0 demain"}'
    assert (
        client.post(
            f"/callbacks/http/{token}", data=raw_json, content_type="application/json"
        ).status_code
        == 200
    )
    assert stored(service, "h1")["message"] == "réponse"
    assert (stored(service, "h2")["message"], stored(service, "h2")["charset"]) == (
        "à demain",
        "windows-1252",
    )
