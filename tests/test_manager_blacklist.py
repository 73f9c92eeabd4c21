"""The manager's blacklist page (numbers that replied STOP, and « Retirer »), and the HTML
404 for unknown manager URLs while the API and callbacks keep their JSON 404."""

import html
import re

import pytest

from smsreply.accounts import users

PASSWORD = "correct horse battery"
NUMBER = "+33612345678"


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def text_of(response) -> str:
    """The page's visible text, tags dropped and entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def remove(client, number, **extra):
    return client.post("/manager/blacklist", data={"number": number, **extra})


@pytest.fixture
def manager(app, service):
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())
    client = app.test_client()
    client.get("/manager/login")
    form = {"username": "admin", "password": PASSWORD, "csrf_token": csrf(client)}
    assert client.post("/manager/login", data=form).status_code == 302
    return client


@pytest.fixture
def stop_reply(client, callback_url, service) -> int:
    """A STOP from +33612345678 through the real OVH callback; the reply's id."""
    conversation = service.send_message("0612345678", "Bonjour")
    form = {"shortcode": conversation["shortcode"], "tag": "", "id": "s1"}
    answer = client.post(callback_url, data={**form, "senderid": NUMBER, "message": "Stop svp"})
    assert answer.get_json()["reason"] == "stop"
    return answer.get_json()["reply_id"]


def test_the_page_needs_a_session(client, stop_reply, service):
    response = client.get("/manager/blacklist")
    assert response.status_code == 302
    assert response.location == "/manager/login?next=/manager/blacklist"
    assert remove(client, NUMBER).status_code == 302  # to the login page, nothing removed
    assert service.store.blacklisted(NUMBER)


def test_an_empty_blacklist_says_so_in_both_languages(manager):
    assert "La liste noire est vide" in text_of(manager.get("/manager/blacklist"))
    english = manager.get("/manager/blacklist", headers={"Accept-Language": "en"})
    assert "The blacklist is empty" in text_of(english)
    assert '<a href="/manager/blacklist" aria-current="page">Blacklist</a>' in english.text


def test_a_stop_reply_is_listed_with_its_message_and_reply(manager, stop_reply):
    page = manager.get("/manager/blacklist")
    row = re.search(r"<tr>\s*<th scope=\"row\">\+33612345678</th>(.*?)</tr>", page.text, re.S)
    assert row, page.text
    assert "25 nov. 2026, 10:00" in row.group(1) and "Stop svp" in row.group(1)
    assert 'title="2026-11-25 09:00:00 UTC"' in row.group(1)
    assert f'href="/manager/replies/{stop_reply}"' in row.group(1)
    assert 'name="number" value="+33612345678"' in row.group(1)
    assert 'name="csrf_token"' in row.group(1)
    assert re.search(r"<button[^>]*>Retirer<span class=\"visually-hidden\"> \+336", row.group(1))


def test_remove_lets_the_number_receive_again(manager, stop_reply, service):
    response = remove(manager, NUMBER, csrf_token=csrf(manager))
    assert response.status_code == 302 and response.location == "/manager/blacklist"
    page = text_of(manager.get(response.location))
    assert "+33612345678 retiré de la liste noire" in page
    assert "La liste noire est vide" in page
    assert service.store.blacklisted(NUMBER) is None
    assert service.send_message("0612345678", "Re")["id"]


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_remove_requires_the_csrf_token(manager, stop_reply, service, token):
    response = remove(manager, NUMBER, **({} if token is None else {"csrf_token": token}))
    assert response.status_code == 400
    assert "ne vient pas de ce site" in text_of(response)
    assert service.store.blacklisted(NUMBER)


@pytest.mark.parametrize(
    ("number", "status", "words"),
    [("0698765432", 404, "+33698765432 n'est pas sur la liste noire"), ("0123", 422, "0123")],
)
def test_remove_errors_are_shown_above_the_list(manager, stop_reply, number, status, words):
    response = remove(manager, number, csrf_token=csrf(manager))
    assert response.status_code == status
    summary = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', response.text)
    assert summary and words in html.unescape(summary.group(1))
    assert "+33612345678" in text_of(response)  # the list is still there


# -- unknown URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/manager/nope", "/manager/conversations/abc", "/manager/a/b"])
def test_unknown_manager_urls_are_html_pages_in_the_layout(manager, path):
    response = manager.get(path)
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Erreur 404" in text_of(response) and "Retour aux conversations" in text_of(response)
    assert 'aria-label="Menu principal"' in response.text  # the logged-in layout
    assert "Content-Security-Policy" in response.headers


def test_unknown_manager_urls_send_strangers_to_the_login_page(client):
    response = client.get("/manager/nope?x=1")
    assert response.status_code == 302
    assert response.location == "/manager/login?next=/manager/nope?x%3D1"


def test_a_post_to_an_unknown_manager_url_is_an_html_404(manager):
    response = manager.post("/manager/nope", data={"csrf_token": csrf(manager)})
    assert response.status_code == 404 and "Erreur 404" in text_of(response)


@pytest.mark.parametrize("path", ["/api/nope", "/callbacks/nope", "/nope", "/managerx"])
def test_other_unknown_urls_keep_the_json_404(client, auth, path):
    response = client.get(path, headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
