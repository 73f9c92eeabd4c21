"""End to end through a real Kannel: bearerbox and smsbox (Debian package ``kannel``,
``tests/system-deps.sh``) with a generic HTTP SMSC whose far side is a fake operator,
and smsreply under gunicorn. A message sent through smsreply's API reaches the operator
through Kannel; the operator's UCS-2 reply reaches smsreply through Kannel's sms-service;
smsreply's text answer goes back through Kannel to the operator; the operator's delivery
report, through Kannel's HTTP SMSC and smsbox's dlr-url, marks the message delivered.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from smsreply.providers.base import OutgoingSms, ProviderError
from smsreply.providers.kannel import KannelProvider, protocol
from tests.support.fakes.sms_operator import FakeOperator
from tests.support.kannel.gateway import (
    GET_URL_QUERY,
    PASSWORD,
    USERNAME,
    KannelGateway,
    find_program,
    free_port,
)
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for

ANSWER = "Réponse reçue, à bientôt ✓"  # ✓ is outside GSM 03.38: the answer goes as UCS-2
REPLY = "Oui  c'est noté 👍\nmerci"  # two spaces and a newline: %a would lose both


def api(server, api_key, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {api_key}"}
    response = requests.request(method, server.url + path, headers=headers, timeout=10, **kwargs)
    assert response.ok, response.text
    return response.json()


@pytest.mark.skipif(
    find_program("bearerbox") is None,
    reason="Kannel is not installed (no bearerbox); tests/system-deps.sh installs it",
)
def test_send_reply_answer_and_delivery_report_through_a_real_kannel(tmp_path, database_url):
    port = free_port()  # Kannel must know smsreply's URL before either starts
    base_url = f"http://127.0.0.1:{port}"
    server = GunicornServer(
        tmp_path,
        database_url,
        server_bind=f"127.0.0.1:{port}",
        server_base_url=base_url,
        provider_name="kannel",
        kannel_username=USERNAME,
        kannel_password=PASSWORD,
    )
    printed = server.run_init()
    token = urlsplit(printed["Callback URL"]).path.rsplit("/", 1)[1]
    callback = protocol.callback_url(base_url, token)
    with FakeOperator() as operator:
        kannel = KannelGateway(
            tmp_path, get_url=callback + GET_URL_QUERY, operator_url=operator.url
        )
        server.env["SMSREPLY_KANNEL_SENDSMS_URL"] = kannel.sendsms_url
        with kannel, server:
            try:
                scenario(server, printed["API key"], kannel, operator)
            except AssertionError:
                print(kannel.logs())  # shown by pytest with the failure
                raise


def scenario(server, api_key, kannel, operator):
    api(server, api_key, "PUT", "/api/reply-options", json={"action": "text", "text": ANSWER})
    message = "RDV demain 10h à Nice. Répondez OUI ou NON."  # GSM 03.38, accents included
    sent = api(
        server, api_key, "POST", "/api/messages", json={"to": "0612345678", "message": message}
    )
    shortcode = sent["shortcode"]

    # 1. smsreply -> sendsms -> bearerbox -> HTTP SMSC -> the operator, text intact
    mt = wait_for(lambda: operator.received and operator.received[0])
    assert mt, "the message never reached the operator"
    assert (mt["from"], mt["to"], mt["text"], mt["coding"]) == (
        shortcode,
        "+33612345678",
        message,
        "0",
    )
    assert mt["dlr_mask"] == "31"

    # 2. the phone answers: operator -> Kannel -> sms-service get-url -> smsreply
    assert operator.send_mo(kannel.smsc_url, "+33612345678", shortcode, REPLY).ok

    def replies():
        return api(server, api_key, "GET", f"/api/conversations/{sent['id']}")["replies"]

    reply = wait_for(lambda: replies() and replies()[0])
    assert reply, "the reply never reached smsreply"
    assert (reply["message"], reply["sender"], reply["shortcode"]) == (
        REPLY,
        "+33612345678",
        shortcode,
    )

    # 3. the predefined answer goes back through Kannel, from the same short code
    answer = wait_for(lambda: len(operator.received) > 1 and operator.received[1])
    assert answer, "the answer never reached the operator"
    assert (answer["from"], answer["to"], answer["text"], answer["coding"]) == (
        shortcode,
        "+33612345678",
        ANSWER,
        "2",
    )

    # 4. the operator's delivery report for the message, through Kannel to smsreply
    assert operator.send_dlr(kannel.smsc_url, mt["id"], "+33612345678", 1).ok

    def delivery():
        detail = api(server, api_key, "GET", f"/api/conversations/{sent['id']}")
        return detail["sms"]["delivery_status"] == "delivered" and detail["sms"]

    sms_row = wait_for(delivery)
    assert sms_row, "the delivery report never marked the message delivered"
    assert sms_row["provider"] == "kannel" and sms_row["provider_id"] == str(sms_row["id"])

    # 5. a wrong sendsms password is refused by Kannel itself, and not worth retrying
    wrong = KannelProvider(sendsms_url=kannel.sendsms_url, username=USERNAME, password="nope-x")
    with pytest.raises(ProviderError) as failure:
        wrong.send(OutgoingSms(1, "+33612345678", "x", shortcode, "t"))
    assert failure.value.retryable is False and "Authorization failed" in failure.value.message
    wrong.close()
