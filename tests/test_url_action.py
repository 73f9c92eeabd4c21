"""The `url` action: the five fields POSTed to the customer's URL, retries, the answer."""

import pytest
from werkzeug.wrappers import Request, Response

from tests.support.actions import Phone
from tests.support.httpapp import LocalServer
from tests.test_url_client import fast  # noqa: F401 (every test over both paths)


class CustomerApp:
    def __init__(self) -> None:
        self.calls = []
        self.failures = 0

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.calls.append(dict(request.form))
        if self.failures:
            self.failures -= 1
            return Response("down", status=503)(environ, start_response)
        answer = f"Reçu {request.form['message']} de {request.form['senderid']}"
        return Response(answer, content_type="text/plain; charset=utf-8")(environ, start_response)


@pytest.fixture
def customer():
    app = CustomerApp()
    with LocalServer(app) as server:
        app.url = server.url + "/sms"
        yield app


def test_fields_posted_and_response_used(app, service, customer, settings):
    service.set_reply_options({"action": "url", "url": customer.url, "use_response": True})
    phone = Phone(app, service, tag="rdv-7")
    result = phone.reply("Oui é")
    assert result["answer"] == "Reçu Oui é de +33612345678"
    assert customer.calls[0] == {
        "shortcode": phone.conversation["shortcode"],
        "tag": "rdv-7",
        "id": result["reply"]["provider_id"],
        "senderid": "+33612345678",
        "message": "Oui é",
    }


def test_without_use_response_nothing_is_sent(app, service, customer):
    service.set_reply_options({"action": "url", "url": customer.url})
    result = Phone(app, service).reply("x")
    assert result["answer"] is None and result["outcome"]["status"] == 200
    assert len(customer.calls) == 1


def test_5xx_is_retried(app, service, customer, settings):
    customer.failures = 2
    service.set_reply_options({"action": "url", "url": customer.url, "use_response": True})
    result = Phone(app, service).reply("x")
    assert result["answer"].startswith("Reçu x")
    assert result["outcome"]["attempts"] == 3


def test_unreachable_url_is_recorded(app, service, settings):
    from tests.support.smtp import free_port

    settings["url.attempts"] = 2
    service.set_reply_options({"action": "url", "url": f"http://127.0.0.1:{free_port()}/x"})
    result = Phone(app, service).reply("x")
    assert result["outcome"]["error"] == "unreachable" and result["answer"] is None


@pytest.mark.parametrize("url", ["ftp://x", "example.com/sms", "http://", "javascript:x"])
def test_url_must_be_http(client, auth, url):
    response = client.put("/api/reply-options", json={"action": "url", "url": url}, headers=auth)
    assert response.status_code == 422
    assert "http://" in response.get_json()["error"]["message"]


class SiteApp:
    """A customer's site answering a fixed body and type."""

    def __init__(self, body: str, content_type: str) -> None:
        self.body, self.content_type = body, content_type
        self.calls = []

    def __call__(self, environ, start_response):
        self.calls.append(dict(Request(environ).form))
        return Response(self.body, content_type=self.content_type)(environ, start_response)


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        ("Visitez https://exemple.fr", "text/plain", "contains a URL (https://exemple.fr)"),
        ("<Response><Message>Merci</Message></Response>", "text/xml", "'text/xml'"),
    ],
)
def test_answers_from_a_url_follow_the_short_code_rules(app, service, body, content_type, words):
    site = SiteApp(body, content_type)
    with LocalServer(site) as server:
        options = {"action": "url", "url": server.url + "/sms", "use_response": True}
        service.set_reply_options(options)
        result = Phone(app, service).reply("OUI", extra={"keyword": "RDV"})
    assert (result["result"], result["answer"]) == ("failed", None)
    assert words in result["result_reason"]
    assert site.calls[0]["keyword"] == "RDV"  # the callback's sixth field is forwarded too
