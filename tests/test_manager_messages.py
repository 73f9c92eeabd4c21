"""What the manager says, in the page's language: domain errors numbered as the page
numbers them, the compose counter's explanation of Unicode, smart encoding in the forms, the
test console's filled fields and the icon (through the Flask test client)."""

import html
import re
import struct

import pytest

from smsreply.accounts import users
from smsreply.settings import ConfigError
from smsreply.web import create_app
from tests.test_manager_pages import PASSWORD, post, text_of


@pytest.fixture
def conversation(manager, service):
    response = post(manager, "/manager/compose", to="06 12 34 56 78", message="RDV demain ?")
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1])


@pytest.fixture
def manager(app, service):
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())
    client = app.test_client()
    client.get("/manager/login")
    post(client, "/manager/login", username="admin", password=PASSWORD)
    return client


def test_the_counter_says_which_characters_force_unicode(manager, service):
    typed = "Fête – l’été…"
    plain = text_of(post(manager, "/manager/compose", to="0123", message=typed))
    assert "Unicode à cause de : « ê », « – », « ’ », « … »" in plain
    assert "remplacé" not in plain  # the box was not ticked (a form post without it)
    assert "l'enverrait" not in plain  # « ê » keeps it Unicode: nothing to offer
    unticked = text_of(post(manager, "/manager/compose", to="0123", message="l’été…"))
    assert "Unicode à cause de : « ’ », « … »" in unticked
    assert "L'encodage intelligent l'enverrait en GSM-7 en 1 SMS." in unticked
    # « ê » keeps it Unicode whatever is replaced: smart encoding leaves it as typed.
    smart = text_of(
        post(manager, "/manager/compose", to="0123", message=typed, smart_encoding="on")
    )
    assert "« ê », « – »" in smart and "remplacé" not in smart
    smart = text_of(
        post(manager, "/manager/compose", to="0123", message="l’été…", smart_encoding="on")
    )
    assert "8 / 160 caractères · 1 SMS · 1 crédit · GSM-7" in smart
    assert "L'encodage intelligent a remplacé 2 caractères." in smart
    nbsp = text_of(post(manager, "/manager/compose", to="0123", message="10\u202fh"))
    assert "Unicode à cause de : U+202F" in nbsp
    new = manager.get("/manager/compose").text
    assert re.search(r'id="smart_encoding"[^>]*checked', new)  # ticked on a new message


def test_compose_smart_encoding_sends_gsm7_at_half_the_cost(manager, service):
    typed = "« RDV » demain – 10\u202fh… Répondez OUI ou NON ! " * 2  # 98 UCS-2 units: 2 parts
    response = post(
        manager, "/manager/compose", to="0612345678", message=typed, smart_encoding="on"
    )
    assert response.status_code == 302
    sent = service.store.get("conversations", 1)
    assert (sent["encoding"], sent["segments"]) == ("gsm7", 1)
    assert sent["message"].startswith('" RDV " demain - 10 h... ')
    assert service.store.balance() == 99
    post(manager, "/manager/compose", to="0612345678", message=typed)  # box unticked
    assert service.store.get("conversations", 2)["segments"] == 2


def test_reply_options_smart_encoding_round_trips(manager, service):
    rows = {"rules-0-pattern": "INFO", "rules-0-action": "text", "rules-0-value": "Ouvert…"}
    rows |= {"rules-0-smart": "on"}
    response = post(manager, "/manager/options", action="text", text="Merci !", **rows)
    assert response.status_code == 302
    assert "smart_encoding" not in service.reply_options()  # off by default
    assert service.reply_options()["rules"][0]["smart_encoding"] is True
    post(manager, "/manager/options", action="text", text="Merci !", smart_encoding="on")
    assert service.reply_options()["smart_encoding"] is True
    page = manager.get("/manager/options").text
    assert re.search(r'id="smart_encoding"[^>]*checked', page)


def test_a_bad_regex_is_explained_in_french_under_its_rule(manager, service):
    rows = {"rules-0-match": "regex", "rules-0-pattern": "(", "rules-0-action": "none"}
    response = post(manager, "/manager/options", action="none", **rows)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="rules-0-error">(.*?)</p>', response.text, re.S)
    assert error and "Règle 1 : Expression régulière invalide" in html.unescape(error.group(1))


def test_console_opened_for_a_conversation_shows_its_fields_filled(manager, service, conversation):
    page = manager.get(f"/manager/console?conversation={conversation}").text
    row = service.store.get("conversations", conversation)
    assert 'id="sender" name="sender" value="+33612345678"' in page
    assert f'id="shortcode" name="shortcode" value="{row["shortcode"]}"' in page
    assert f'name="tag" value="{row["provider_tag"]}"' in page
    assert f'data-shortcode="{row["shortcode"]}"' in page  # for the picker's script


def test_every_page_links_its_icon_and_the_icon_is_served(manager):
    page = manager.get("/manager/compose").text
    assert '<link rel="icon" href="/manager/static/favicon.svg"' in page
    icon = manager.get("/manager/static/favicon.svg")
    assert icon.status_code == 200 and icon.content_type.startswith("image/svg+xml")


def test_favicon_ico_is_served_where_browsers_ask(manager):
    """Browsers ask for /favicon.ico on every page load, whatever the page links."""
    icon = manager.get("/favicon.ico")
    assert icon.status_code == 200 and icon.content_type == "image/x-icon"
    reserved, kind, count = struct.unpack("<HHH", icon.data[:6])
    assert (reserved, kind, count) == (0, 1, 1)  # an ICO holding one image
    width, height = icon.data[6], icon.data[7]
    offset = struct.unpack("<I", icon.data[18:22])[0]
    assert (width, height) == (32, 32) and icon.data[offset:].startswith(b"\x89PNG")


def test_domain_errors_follow_the_page_language(manager):
    response = post(manager, "/manager/compose", to="01 23 45 67 89", message="x")
    assert "est une ligne fixe" in html.unescape(response.text)
    assert "is a landline" not in response.text
    manager.get("/manager/lang/en?next=/manager/compose")
    response = post(manager, "/manager/compose", to="01 23 45 67 89", message="x")
    assert "“01 23 45 67 89” is a landline: replies only work" in html.unescape(response.text)


def test_a_bad_notification_is_explained_under_its_row(manager, service):
    rows = {"notifications-0-media": "email", "notifications-0-sender": "moi@example.fr"}
    rows |= {"notifications-0-target": "pas-une-adresse"}
    response = post(manager, "/manager/options", action="none", **rows)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="notifications-0-error">(.*?)</p>', response.text)
    assert error, response.text
    assert "Notification 1 : « pas-une-adresse » n'est pas une adresse e-mail." in html.unescape(
        error.group(1)
    )


def test_times_follow_manager_timezone_and_the_locale(settings, clock, tmp_path, service):
    service.send_message("0612345678", "Bonjour")  # at 2026-11-25 09:00 UTC
    for zone, french, english in [
        ("Europe/Paris", "25 nov. 2026, 10:00", "Nov 25, 2026, 10:00 AM"),
        ("America/New_York", "25 nov. 2026, 04:00", "Nov 25, 2026, 4:00 AM"),
    ]:
        app = create_app(dict(settings, **{"manager.timezone": zone}), clock=clock)
        client = app.test_client()
        name = zone.replace("/", ".")
        users.create_user(app.extensions["smsreply"].store, name, PASSWORD, "t")
        client.get("/manager/login")
        post(client, "/manager/login", username=name, password=PASSWORD)
        page = client.get("/manager/")
        assert french in text_of(page)
        assert 'title="2026-11-25 09:00:00 UTC"' in page.text
        client.get("/manager/lang/en?next=/manager/")
        assert english in text_of(client.get("/manager/"))
        assert client.get("/api/conversations").status_code == 401  # the API is untouched


def test_an_unknown_timezone_stops_start_up(settings):
    with pytest.raises(ConfigError, match="manager.timezone"):
        create_app(dict(settings, **{"manager.timezone": "Mars/Olympus"}))
