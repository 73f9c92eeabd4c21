"""The simulator behaves like the operator: numeric ids, and delivery reports posted to the
server's own DLR callback after a delay (delivered, or failed at the configured rate)."""

import pytest

from testkit.ports import free_port
from tests.support.served import api, send
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for


@pytest.mark.parametrize(("rate", "status"), [(0.0, "delivered"), (1.0, "failed")])
def test_delivery_reports_come_back_through_the_callback(tmp_path, rate, status):
    port = free_port()
    server = GunicornServer(
        tmp_path,
        server_bind=f"127.0.0.1:{port}",
        server_base_url=f"http://127.0.0.1:{port}",
        simulator_dlr_delay=0.2,
        simulator_failure_rate=rate,
    )
    server.api_key = server.run_init()["API key"]
    with server:
        conversation = send(server)

        def report():
            sms = api(server, "GET", f"/api/conversations/{conversation['id']}").json()["sms"]
            return sms if sms["delivery_status"] else None

        assert wait_for(report)
        sms = report()
    assert sms["provider_id"].isdigit() and int(sms["provider_id"]) > 10**8
    assert sms["delivery_status"] == status
    if status == "delivered":
        assert sms["delivered_at"]
    else:
        assert "Failed (simulated)" in sms["error"]


def test_a_report_that_cannot_be_posted_is_a_warning_naming_the_url(tmp_path, caplog):
    """server.base_url naming a port where nothing listens: the report is lost, and a
    WARNING says where it went (without the callback token, a secret)."""
    import time

    from smsreply.accounts.credentials import ensure_callback_token
    from smsreply.providers.base import OutgoingSms
    from smsreply.providers.simulator import SimulatorProvider
    from smsreply.store import Store

    store = Store(tmp_path / "sim.db")
    store.migrate()
    token = ensure_callback_token(store)
    base = f"http://127.0.0.1:{free_port()}"
    settings = {"server.base_url": base, "simulator.dlr_delay": 0.01}
    with caplog.at_level("INFO", logger="smsreply.providers.simulator"):
        SimulatorProvider(store, settings=settings).send(
            OutgoingSms(id=1, to="+33612345678", message="Bonjour", shortcode="30001", tag="")
        )
        deadline = time.monotonic() + 10
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.05)
    store.close()
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert f"{base}/callbacks/ovh/…/dlr" in record.getMessage()
    assert token not in record.getMessage()
