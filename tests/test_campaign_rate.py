"""The campaign rate holds through a real gunicorn (issue 19, item 1).

With ``sms.rate_per_second = 20``, 200 recipients reach a fake HTTP gateway
(``tests/support/fakes/http_gateway.py``, which notes when each SMS arrives) at 20 a second
within 10 %, and no one-second window holds more than 1.5 × the rate. The sweep runs at
its shipped default (5 s): a campaign step or SMS that only a sweep finds shows as a gap.
"""

from __future__ import annotations

from bench.campaign import busiest_second
from tests.support.fakes.http_gateway import JASMIN_RESPONSE_ID, FakeGateway
from tests.support.served import api
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for

RATE = 20
RECIPIENTS = 200


def test_a_campaign_is_handed_over_at_the_rate_set(tmp_path, database_url):
    with FakeGateway() as gateway:
        server = GunicornServer(
            tmp_path,
            database_url,
            provider_name="http",
            http_send_url=gateway.url,
            http_response_id=JASMIN_RESPONSE_ID,
            sms_rate_per_second=RATE,
            worker_sweep_seconds=5.0,
        ).init()
        with server:
            assert api(server, "POST", "/api/credits", json={"amount": 1000}).status_code == 201
            recipients = [{"numero": f"06{20000000 + n}"} for n in range(RECIPIENTS)]
            body = {"name": "Rythme", "message": "Bonjour, à bientôt", "recipients": recipients}
            response = api(server, "POST", "/api/campaigns", json=body)
            assert response.status_code == 201, response.text
            assert wait_for(lambda: len(gateway.received) >= RECIPIENTS, 60), len(gateway.received)
        arrivals = sorted(request["at"] for request in gateway.received)
    assert len(arrivals) == RECIPIENTS
    achieved = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    assert abs(achieved - RATE) <= RATE * 0.10, f"{achieved:.1f}/s for {RATE}/s set"
    assert busiest_second(arrivals) <= RATE * 1.5
