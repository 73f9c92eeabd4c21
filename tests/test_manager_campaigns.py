"""The manager's campaign screens: paste or upload, the checked preview, confirm, then the
campaign's page (counts, first words, server-drawn SVG chart) in French and English,
cancel and export."""

import csv
import html
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


# -- the campaign's page tells the whole story (issue 19, item 9) ---------------------------


def accept(client, service, numbers: str, **form) -> int:
    fields = {"name": "Quiz", "message": "Venez-vous ? OUI/NON", "numbers": numbers, **form}
    checked = post(client, "/manager/campaigns", **fields)
    assert checked.status_code == 200, text_of(checked)
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    fields.pop("numbers")
    confirmed = post(client, "/manager/campaigns", **fields, token=token, confirm="1")
    assert confirmed.status_code == 302, text_of(confirmed)
    return service.store.list_campaigns(1)[0]["id"]


def test_every_refused_line_is_listed_page_by_page(manager, service):  # noqa: F811
    landlines = [f"01 23 45 {n // 100:02d} {n % 100:02d}" for n in range(60)]
    campaign_id = accept(manager, service, "\n".join(["0612345678", *landlines]))
    page = manager.get(f"/manager/campaigns/{campaign_id}")
    rows = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>01 23", page.text)
    assert rows == [str(line) for line in range(2, 52)]  # the first 50, by line
    assert "pas un mobile de France métropolitaine" in text_of(page)
    following = manager.get(f"/manager/campaigns/{campaign_id}?rejected_page=2")
    rows = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>01 23", following.text)
    assert rows == [str(line) for line in range(52, 62)]  # the other 10: all 60 are shown
    assert 'id="count-rejected">60<' in following.text


def test_cancelling_asks_first_saying_how_many_recipients_and_credits(manager, service):  # noqa: F811
    numbers = "0612345678\n0612345679\n0612345680\n"
    campaign_id = accept(manager, service, numbers, send_at="2099-01-01T09:00")
    assert service.store.balance() == 97
    page = manager.get(f"/manager/campaigns/{campaign_id}")
    link = f'href="/manager/campaigns/{campaign_id}/cancel"'
    assert link in page.text  # a link to the confirmation: no form posts from here
    asked = manager.get(f"/manager/campaigns/{campaign_id}/cancel")
    assert asked.status_code == 200
    assert (
        "3 destinataire(s) pas encore envoyé(s) ne le recevront pas ; 3 crédit(s) seront "
        "remboursé(s)." in text_of(asked)
    )
    assert service.store.balance() == 97  # asking cancels nothing
    assert service.campaign(campaign_id)["state"] == "scheduled"
    done = post(manager, f"/manager/campaigns/{campaign_id}/cancel")
    assert done.status_code == 302 and service.store.balance() == 100
    again = manager.get(f"/manager/campaigns/{campaign_id}/cancel")
    assert again.status_code == 409 and "rien à annuler" in text_of(again)


def test_progress_refreshes_itself_while_sending_and_stops_when_done(manager, service):  # noqa: F811
    campaign_id = accept(manager, service, "0612345678\n0612345679\n")
    sending = manager.get(f"/manager/campaigns/{campaign_id}")
    assert sending.headers["Refresh"] == "10"  # reloads without JavaScript, as a meta would
    assert "0 % transmis (0 sur 2)" in text_of(sending)
    assert '<progress max="100" value="0' in sending.text
    # the reader can turn it off (WCAG 2.2.1), and paging keeps the choice
    off = manager.get(f"/manager/campaigns/{campaign_id}?refresh=0")
    assert "Refresh" not in off.headers and "Actualiser automatiquement" in text_of(off)
    assert "refresh=0" in sending.text  # the link that turns it off
    for _ in range(5):
        service.drain()
    done = manager.get(f"/manager/campaigns/{campaign_id}")
    assert "Refresh" not in done.headers and 'id="auto-refresh"' not in done.text
    assert "100 % transmis (2 sur 2)" in text_of(done)


def test_a_stop_after_sending_shows_in_the_row_the_counts_and_the_export(
    manager,  # noqa: F811
    service,
    client,
    auth,
    callback_url,
):
    campaign_id = accept(manager, service, "0612345678\n0612345679\n")
    for _ in range(5):
        service.drain()
    conversation = service.store.query(
        "SELECT shortcode FROM conversations WHERE recipient = '+33612345679'"
    )[0]
    form = {"shortcode": conversation["shortcode"], "id": "s1", "senderid": "+33612345679"}
    assert client.post(callback_url, data={**form, "message": "STOP"}).status_code == 200
    page = manager.get(f"/manager/campaigns/{campaign_id}")
    assert re.search(r'id="count-stopped_after">1<', page.text)
    assert "STOP après envoi" in text_of(page)
    row = re.search(r"<tr>\s*<th scope=\"row\">2</th>(.*?)</tr>", page.text, re.S).group(1)
    assert "a répondu STOP le" in text_of_fragment(row)
    first = re.search(r"<tr>\s*<th scope=\"row\">1</th>(.*?)</tr>", page.text, re.S).group(1)
    assert "STOP" not in first
    api = client.get(f"/api/campaigns/{campaign_id}", headers=auth).get_json()
    assert api["counts"]["stopped_after"] == 1
    export = manager.get(f"/manager/campaigns/{campaign_id}/export.csv").text
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(export))}
    assert rows["+33612345679"]["stopped_at"].startswith("2026-11-25T")
    assert rows["+33612345678"]["stopped_at"] == ""


def text_of_fragment(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_picker_time_is_read_in_the_manager_time_zone(manager, service):  # noqa: F811
    page = manager.get("/manager/campaigns")
    assert 'id="send_at" name="send_at" type="datetime-local"' in page.text
    assert "Europe/Paris" in text_of(page)
    campaign_id = accept(manager, service, "0612345678\n", send_at="2099-07-01T09:00")
    assert service.campaign(campaign_id)["send_at"] == "2099-07-01T07:00:00.000000+00:00"  # CEST
    winter = accept(manager, service, "0612345679\n", send_at="2099-01-01T09:00")
    assert service.campaign(winter)["send_at"] == "2099-01-01T08:00:00.000000+00:00"  # CET


def test_a_past_time_is_refused_never_taken_as_now(manager, service):  # noqa: F811
    form = {"name": "x", "message": "Salut", "numbers": "0612345678\n"}
    refused = post(manager, "/manager/campaigns", **form, send_at="2026-11-25T08:00")
    assert refused.status_code == 422  # the test clock is 09:00 UTC, 10:00 in Paris
    assert "Cette heure est passée : laissez le champ vide pour envoyer maintenant." in (
        text_of(refused)
    )
    assert 'id="send_at-error"' in refused.text
