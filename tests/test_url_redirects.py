"""The ``url`` action follows no redirect unless asked, and never shows a password
(issue 10, item 11), against real local HTTP servers.

A 307 from the customer's URL re-posted the reply to whatever server it named; and a
``user:password@`` in the URL was copied into every recorded outcome and the manager.
"""

import base64
import json

import pytest
from werkzeug.wrappers import Request, Response

from smsreply.accounts import users
from tests.support.actions import Phone
from tests.support.httpapp import LocalServer
from tests.test_url_client import fast  # noqa: F401 (every test over both paths)

PASSWORD = "correct horse battery"
SECRET = "s3cret-Pa55"


class Recorder:
    """A customer endpoint: records posts; may redirect, may require Basic auth."""

    def __init__(self, redirect_to: str = "", auth: str = "") -> None:
        self.calls, self.redirect_to, self.auth = [], redirect_to, auth

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.calls.append(dict(request.form))
        if self.auth and request.headers.get("Authorization") != self.auth:
            return Response("who?", status=401)(environ, start_response)
        if self.redirect_to:
            response = Response("moved", status=307, headers={"Location": self.redirect_to})
            return response(environ, start_response)
        return Response(f"Reçu {request.form['message']}", content_type="text/plain")(
            environ, start_response
        )


@pytest.fixture
def elsewhere():
    app = Recorder()
    with LocalServer(app) as server:
        app.url = server.url + "/collect"
        yield app


@pytest.fixture
def redirecting(elsewhere):
    app = Recorder(redirect_to=elsewhere.url)
    with LocalServer(app) as server:
        app.url = server.url + "/sms"
        yield app


def test_a_redirect_is_not_followed_by_default(app, service, redirecting, elsewhere):
    service.set_reply_options({"action": "url", "url": redirecting.url, "use_response": True})
    result = Phone(app, service).reply("Oui")
    assert result["answer"] is None
    assert result["outcome"]["error"] == "redirected" and result["outcome"]["status"] == 307
    assert elsewhere.url in result["outcome"]["reason"]
    assert len(redirecting.calls) == 1 and elsewhere.calls == []


def test_a_redirect_is_followed_when_the_customer_says_so(app, service, redirecting, elsewhere):
    options = {"action": "url", "url": redirecting.url, "use_response": True}
    saved = service.set_reply_options(dict(options, follow_redirects=True))
    assert saved["follow_redirects"] is True
    result = Phone(app, service).reply("Oui")
    assert result["answer"] == "Reçu Oui"
    assert elsewhere.calls and elsewhere.calls[0]["message"] == "Oui"


@pytest.fixture
def guarded():
    token = base64.b64encode(f"cabinet:{SECRET}".encode()).decode()
    app = Recorder(auth=f"Basic {token}")
    with LocalServer(app) as server:
        app.url = server.url.replace("http://", f"http://cabinet:{SECRET}@") + "/sms"
        yield app


@pytest.fixture
def manager(app, service):
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())
    client = app.test_client()
    client.get("/manager/login")
    assert post(client, "/manager/login", username="admin", password=PASSWORD).status_code == 302
    return client


def post(client, path, **form):
    with client.session_transaction() as session:
        token = session["csrf"]
    return client.post(path, data={**form, "csrf_token": token})


def test_a_password_in_the_url_is_used_but_never_shown(app, service, guarded, manager):
    service.set_reply_options({"action": "url", "url": guarded.url, "use_response": True})
    phone = Phone(app, service)
    result = phone.reply("Oui")
    assert result["answer"] == "Reçu Oui"  # the credentials did authenticate
    assert result["outcome"]["url"].startswith("http://cabinet:***@127.0.0.1:")
    stored = json.dumps(service.store.query("SELECT outcome FROM replies"))
    assert SECRET not in stored
    reply_id = result["reply"]["id"]
    for path in ("/manager/options", f"/manager/replies/{reply_id}", "/manager/replies"):
        page = manager.get(path)
        assert page.status_code == 200 and SECRET not in page.text, path
    # Saving the options page as shown keeps the password.
    shown = manager.get("/manager/options").text
    assert "cabinet:***@" in shown
    masked = guarded.url.replace(SECRET, "***")
    assert post(manager, "/manager/options", action="url", url=masked).status_code == 302
    assert service.reply_options()["url"] == guarded.url
    assert phone.reply("Non")["outcome"]["status"] == 200


def test_an_unreachable_url_with_a_password_records_no_password(app, service):
    url = f"http://cabinet:{SECRET}@127.0.0.1:9/sms"
    service.set_reply_options({"action": "url", "url": url})
    result = Phone(app, service).reply("Oui")
    assert result["outcome"]["error"] == "unreachable"
    assert SECRET not in json.dumps(result["outcome"])
