"""The low-credit alert, as OVH has it: below ``credits.alert_below``, one e-mail to
``credits.alert_email`` each time the balance *falls* below it — not one per send — sent by
the work engine like the reply notifications (real SMTP server); a top-up re-arms it. The
crossing is found in the debit's own transaction, so many threads of two gunicorn workers
debiting at once across the threshold queue exactly one e-mail.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from smsreply.settings import ConfigError, load_settings
from tests.support.notifying import notifying_app
from tests.support.served import api
from tests.support.servers import GunicornServer
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_for

ALERT = {"credits.alert_below": 5, "credits.alert_email": "compta@example.org"}


def alerts(store) -> list[dict]:
    return store.query("SELECT * FROM notifications WHERE reply_id IS NULL ORDER BY id")


def test_one_email_per_crossing_and_a_top_up_rearms(tmp_path, database_url):
    with SmtpServer() as smtp:
        _, service = notifying_app(tmp_path, smtp.port, database_url, **ALERT)
        service.add_credits(7)
        for _ in range(5):  # 7 → 2: crosses 5 once (5 → 4)
            service.send_message("0612345678", "Bonjour")
        assert service.store.balance() == 2
        assert len(alerts(service.store)) == 1
        service.drain()
        [mail] = smtp.inbox.messages
        assert mail["To"] == "compta@example.org" and mail["From"] == "smsreply@localhost"
        assert "low SMS credit: 4 (seuil / threshold 5)" in mail["Subject"]
        assert "il reste 4 crédit(s)" in mail.get_content()
        service.add_credits(10)  # 12: above again
        for _ in range(9):  # 12 → 3: a new crossing
            service.send_message("0612345678", "Bonjour")
        service.drain()
        assert len(alerts(service.store)) == 2 and len(smtp.inbox.messages) == 2
        assert [row["status"] for row in alerts(service.store)] == ["sent", "sent"]
        service.store.close()


def test_no_alert_without_the_setting_or_when_credits_go_up(tmp_path, database_url):
    with SmtpServer() as smtp:
        _, service = notifying_app(
            tmp_path, smtp.port, database_url, **(ALERT | {"credits.alert_below": 0})
        )
        service.add_credits(3)
        for _ in range(3):
            service.send_message("0612345678", "Bonjour")
        service.add_credits(1)
        assert alerts(service.store) == []
        service.store.close()


def test_the_threshold_needs_someone_to_tell():
    with pytest.raises(ConfigError, match="credits.alert_email"):
        load_settings(None, env={}, overrides={"credits.alert_below": 10})


def test_many_debits_at_once_across_two_workers_cross_once(tmp_path, database_url):
    with SmtpServer() as smtp:
        server = GunicornServer(
            tmp_path,
            database_url,
            credits_alert_below=80,
            credits_alert_email="compta@example.org",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
        ).init()
        with server:  # `smsreply init` granted 100 credits
            body = {"to": "0612345678", "message": "Bonjour"}
            with ThreadPoolExecutor(16) as pool:
                statuses = list(
                    pool.map(lambda _: api(server, "POST", "/api/messages", json=body), range(60))
                )
            assert {answer.status_code for answer in statuses} == {201}
            assert api(server, "GET", "/api/credits").json()["balance"] == 40
            assert wait_for(lambda: len(smtp.inbox.messages) >= 1, 20)
            time.sleep(1.0)  # a second e-mail, if any, would have come by now
    [mail] = smtp.inbox.messages
    assert "seuil / threshold 80" in mail["Subject"]
