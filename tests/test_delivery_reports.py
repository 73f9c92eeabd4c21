"""Delivery reports at /callbacks/<provider>/<token>/dlr update each SMS's status."""


def test_ovh_shaped_dlr_marks_the_sms_delivered_or_failed(client, callback_url, service, auth):
    first = service.send_message("0612345678", "Bonjour")
    second = service.send_message("0612345679", "Bonjour")
    service.drain()
    ok = client.get(
        f"{callback_url}/dlr?id={10**8 + first['outgoing_id']}&ptt=4&description=1"
        "&descriptionDlr=Success&date=2026-11-25%2009:00:05"
    )
    assert ok.status_code == 200 and ok.get_json() == {
        "ok": True,
        "matched": True,
        "status": "delivered",
    }
    failed = client.get(f"{callback_url}/dlr?id={10**8 + second['outgoing_id']}&dlr=2&ptt=24")
    assert failed.get_json()["status"] == "failed"
    detail = client.get(f"/api/conversations/{first['id']}", headers=auth).get_json()
    assert detail["sms"]["delivery_status"] == "delivered"
    assert detail["sms"]["delivered_at"]
    other = client.get(f"/api/conversations/{second['id']}", headers=auth).get_json()
    assert other["sms"]["delivery_status"] == "failed"
    assert "ptt 24" in other["sms"]["error"]


def test_unknown_sms_is_acknowledged_unmatched(client, callback_url):
    response = client.get(f"{callback_url}/dlr?id=nope&description=1")
    assert response.status_code == 200 and response.get_json()["matched"] is False


def test_bad_dlr_and_bad_token(client, callback_url):
    assert client.get(f"{callback_url}/dlr?id=1&description=77").status_code == 400
    assert client.get(f"{callback_url}/dlr?description=1").status_code == 400
    assert client.get("/callbacks/ovh/wrong/dlr?id=1&description=1").status_code == 403
    assert client.get(f"{callback_url.replace('/ovh/', '/nope/')}/dlr?id=1").status_code == 404
