"""A claim is renewed while its work runs, and ``url.timeout`` bounds the whole exchange.

The bug this proves fixed: a ``url`` action whose endpoint trickled a byte every few seconds
outlived the lease, and other workers took the reply over and called the URL again (six
times for one reply). Here the lease is short (2.5 s), the endpoint takes three leases to
answer, and two gunicorn workers with four threads each sweep every 0.2 s: the endpoint
must be reached once and the reply answered once.
"""

from __future__ import annotations

import time

from tests.support.actions import Phone
from tests.support.served import answers, api, callback, send
from tests.support.servers import GunicornServer
from tests.support.trickle import TrickleServer
from tests.support.waiting import wait_for

SLOW_ANSWER = "Bien reçu"


def test_a_slow_url_outliving_its_lease_runs_once(tmp_path, database_url):
    body = SLOW_ANSWER.encode()
    with TrickleServer(body, interval=0.8) as endpoint:  # 8 s: over three leases
        server = GunicornServer(
            tmp_path,
            database_url,
            server_workers=2,
            worker_threads=4,
            worker_lease_seconds=2.5,
            worker_sweep_seconds=0.2,
            url_timeout=30,
            url_attempts=1,
        )
        server.init()
        with server:
            options = {"action": "url", "url": endpoint.url, "use_response": True}
            assert api(server, "PUT", "/api/reply-options", json=options).status_code == 200
            conversation = send(server)
            assert callback(server, conversation, "slow-1").status_code == 200
            answered = wait_for(lambda: len(answers(server, SLOW_ANSWER)) >= 1, timeout=40)
            assert answered, f"not answered; the endpoint was reached {endpoint.hits} times"
            time.sleep(2.0)  # time for a second taker to show up, if there were one
            assert endpoint.hits == 1
            assert len(answers(server, SLOW_ANSWER)) == 1
            assert "Traceback" not in server.log.read_text()


def test_url_timeout_bounds_the_whole_exchange(app, service, settings):
    # 40 bytes, one every 0.5 s: each read is quick, the whole answer takes 20 s.
    with TrickleServer(b"x" * 40, interval=0.5) as endpoint:
        settings["url.timeout"] = 1.5
        settings["url.attempts"] = 1
        service.set_reply_options({"action": "url", "url": endpoint.url, "use_response": True})
        result = Phone(app, service).reply("OUI")
        assert result["answer"] is None
        assert result["outcome"]["error"] == "timeout"
        assert "url.timeout" in result["outcome"]["reason"]
        assert endpoint.hits == 1 and endpoint.finished == 0
