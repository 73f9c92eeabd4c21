"""STOP: the number is blacklisted, no action runs, later sends are refused, owner can undo."""

import pytest

from smsreply.text.optout import is_stop


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop.",
        " STOP SMS",
        "Arrêt",
        "ARRET!",
        "stop 36111",
        "Unsubscribe",
        "STOPALL",
    ],
)
def test_stop_variants(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", ["OUI", "Stoppez", "non stop", "", "36111 stop", "arrêté"])
def test_not_stop(text):
    assert not is_stop(text)


def test_stop_blacklists_and_runs_nothing(client, callback_url, service, auth):
    service.set_reply_options({"action": "text", "text": "Merci"})
    conversation = service.send_message("0612345678", "Bonjour")
    balance = service.store.balance()
    form = {
        "shortcode": conversation["shortcode"],
        "tag": "",
        "id": "s1",
        "senderid": "+33612345678",
        "message": "Stop",
    }
    data = client.post(callback_url, data=form).get_json()
    assert (data["status"], data["reason"]) == ("rejected", "stop")
    service.drain()
    assert [row["message"] for row in service.store.list_outbox(10)] == ["Bonjour"]
    assert service.store.balance() == balance
    listed = client.get("/api/blacklist", headers=auth).get_json()["blacklist"]
    assert [item["number"] for item in listed] == ["+33612345678"]

    refused = client.post(
        "/api/messages", json={"to": "06 12 34 56 78", "message": "Re"}, headers=auth
    )
    assert refused.status_code == 422
    assert "replied STOP" in refused.get_json()["error"]["message"]

    later = client.post(callback_url, data=dict(form, id="s2", message="OUI")).get_json()
    assert later["reason"] == "blacklisted"

    assert client.delete("/api/blacklist/0612345678", headers=auth).status_code == 204
    assert client.delete("/api/blacklist/0612345678", headers=auth).status_code == 404
    again = client.post("/api/messages", json={"to": "0612345678", "message": "Re"}, headers=auth)
    assert again.status_code == 201
