"""The manager's campaign screens: paste or upload, the checked preview, confirm, then the
campaign's page (counts, first words, server-drawn SVG chart) in French and English,
cancel and export."""

import io
import re

import pytest

from tests.test_manager_pages import csrf, manager, post, text_of  # noqa: F401 (fixture)


@pytest.fixture
def settings(settings):
    return {**settings, "sms.rate_per_second": 1000.0}


def test_paste_check_confirm_then_watch(manager, service):  # noqa: F811
    pasted = "06 12 34 56 78\n0612345679\n01 23 45 67 89\n0612345678\n"
    form = {"name": "Quiz", "message": "Venez-vous ? OUI/NON", "numbers": pasted}
    checked = post(manager, "/manager/campaigns", **form)
    assert checked.status_code == 200
    page = text_of(checked)
    assert "2 destinataire(s), 2 SMS, 2 crédit(s) (solde : 100) ; 2 ligne(s) refusée(s)" in page
    assert "pas un mobile de France métropolitaine" in page and "en double" in page
    assert service.store.list_campaigns(5) == []  # a check stores nothing
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    confirmed = post(manager, "/manager/campaigns", **form, token=token, confirm="1")
    assert confirmed.status_code == 302
    campaign_id = service.store.list_campaigns(1)[0]["id"]
    assert confirmed.headers["Location"].endswith(f"/manager/campaigns/{campaign_id}")
    assert service.store.balance() == 98
    for _ in range(5):
        service.drain()
    page = manager.get(f"/manager/campaigns/{campaign_id}")
    assert "<svg" in page.text and 'class="bar-sent"' in page.text
    assert "Envois et réponses dans le temps" in page.text
    assert re.search(r'id="count-sent">2<', page.text)
    manager.set_cookie("lang", "en")
    english = manager.get(f"/manager/campaigns/{campaign_id}")
    assert "Sends and replies over time" in english.text and "Reply rate" in english.text
    export = manager.get(f"/manager/campaigns/{campaign_id}/export.csv")
    assert export.mimetype == "text/csv" and export.text.count("\n") == 5


def test_upload_a_csv_with_fields_and_cancel(manager, service):  # noqa: F811
    csv_file = (io.BytesIO(b"prenom;numero\nAna;0612345678\n"), "c.csv")
    form = {
        "name": "RDV",
        "message": "Bonjour {prenom}",
        "send_at": "2099-01-01T09:00:00+01:00",
        "csrf_token": csrf(manager),
        "recipients": csv_file,
    }
    checked = manager.post("/manager/campaigns", data=form, content_type="multipart/form-data")
    assert "1 destinataire(s)" in text_of(checked)
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    confirmed = post(
        manager,
        "/manager/campaigns",
        token=token,
        confirm="1",
        **{key: form[key] for key in ("name", "message", "send_at")},
    )
    campaign_id = service.store.list_campaigns(1)[0]["id"]
    page = manager.get(confirmed.headers["Location"])
    assert "programmée" in text_of(page)
    cancelled = post(manager, f"/manager/campaigns/{campaign_id}/cancel")
    assert cancelled.status_code == 302
    assert "1 crédit(s) remboursé(s)" in text_of(manager.get(cancelled.headers["Location"]))
    assert service.store.balance() == 100


def test_errors_are_shown_in_place(manager):  # noqa: F811
    form = {"name": "x", "message": "Bonjour {prenom}", "numbers": "0612345678\n"}
    page = post(manager, "/manager/campaigns", **form)
    assert page.status_code == 422 and 'id="message-error"' in page.text
    gone = post(manager, "/manager/campaigns", **form, token="nope", confirm="1")
    assert gone.status_code == 410
