"""The manager's screens through the Flask test client: compose, options, conversations,
replies, credits, the test console and the language switch."""

import html
import re
import shutil
from pathlib import Path

import pytest

from smsreply.accounts import users
from tests.support.httpapp import LocalServer

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def text_of(response) -> str:
    """The page's visible text, tags dropped and entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def post(client, path, **form):
    return client.post(path, data={**form, "csrf_token": csrf(client)})


@pytest.fixture
def manager(app, service):
    """A logged-in manager; the app also serves real HTTP on a loopback port, at
    server.base_url, for the test console to post its replies to."""
    with LocalServer(app) as server:
        service.settings["server.base_url"] = server.url
        yield _logged_in(app, service)


def _logged_in(app, service):
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())
    client = app.test_client()
    client.get("/manager/login")
    post(client, "/manager/login", username="admin", password=PASSWORD)
    return client


@pytest.fixture
def conversation(manager, service):
    response = post(manager, "/manager/compose", to="06 12 34 56 78", message="RDV demain ?")
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1])


def simulate(manager, **form):
    fields = {"conversation": "", "sender": "", "shortcode": "", "tag": "", "message": "OUI"}
    response = post(manager, "/manager/console", **{**fields, **form})
    assert response.status_code == 302, text_of(response)
    return manager.get(response.location)


# -- compose ----------------------------------------------------------------------------


def test_compose_shows_the_reply_capable_sender_and_a_counter(manager):
    page = manager.get("/manager/compose")
    assert "Numéro court permettant la réponse (France uniquement)" in page.text
    assert 'data-counter="message-counter"' in page.text
    assert "0 / 160 caractères · 1 SMS · 1 crédit · GSM-7" in text_of(page)


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        (
            {"to": "01 23 45 67 89", "message": "Bonjour"},
            "to",
            "« 01 23 45 67 89 » est une ligne fixe",
        ),
        ({"to": "+447911123456", "message": "Bonjour"}, "to", "n'est pas français (Royaume-Uni)"),
        ({"to": "0612345678", "message": "voir www.exemple.fr"}, "message", "contient une URL"),
        ({"to": "0612345678", "message": "é" * 1000}, "message", "le maximum est 6"),
        ({"to": "0612345678", "message": "x", "tag": "t" * 65}, "tag", "64 caractères au plus"),
    ],
)
def test_compose_errors_are_shown_next_to_their_field(manager, service, form, field, words):
    response = post(manager, "/manager/compose", **form)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', response.text, re.S)
    assert error and words in html.unescape(error.group(1))
    described = re.search(rf'<(?:input|textarea) id="{field}"[^>]*>', response.text).group(0)
    assert f"{field}-error" in described and 'aria-invalid="true"' in described
    assert html.escape(form["message"][:20], quote=True) in response.text  # kept as typed
    assert service.store.balance() == 100


def test_a_message_too_expensive_is_a_form_error(manager, service):
    service.store.change_credits(-99, "t", "test")
    response = post(manager, "/manager/compose", to="0612345678", message="ç" * 71)
    assert response.status_code == 402
    assert "error-summary" in response.text and "il en faut 2" in text_of(response)


def test_compose_sends_and_opens_the_thread(manager, service):
    response = post(manager, "/manager/compose", to="06 12 34 56 78", message="a\r\nb", tag="t1")
    assert response.status_code == 302
    thread = manager.get(response.location)
    assert "Message envoyé (conversation n° 1)." in text_of(thread)
    row = service.store.get("conversations", 1)
    assert row["recipient"] == "+33612345678" and row["tag"] == "t1"
    assert row["message"] == "a\nb"  # what the counter counted: line breaks as LF


# -- reply options ----------------------------------------------------------------------


def test_options_list_cgi_scripts_and_handlers(manager, tmp_path):
    (tmp_path / "cgi-bin").mkdir()
    (tmp_path / "handlers").mkdir()
    shutil.copy(ROOT / "cgi-bin" / "echo.sh", tmp_path / "cgi-bin" / "echo.sh")
    (tmp_path / "cgi-bin" / "README.md").write_text("not executable")
    (tmp_path / "handlers" / "quiz.py").write_text("def handle(reply):\n    return 'ok'\n")
    (tmp_path / "handlers" / "_private.py").write_text("")
    page = manager.get("/manager/options")
    assert '<option value="echo.sh">' in page.text and "README.md" not in page.text
    assert '<option value="quiz.py">' in page.text and "_private.py" not in page.text


def test_options_saved_and_shown_again(manager, service):
    response = post(manager, "/manager/options", action="text", text="Merci, c'est noté.")
    assert response.status_code == 302
    assert service.reply_options() == {"action": "text", "text": "Merci, c'est noté."}
    page = manager.get("/manager/options")
    assert "Options des réponses enregistrées." in text_of(page)
    assert re.search(r'id="action-text"[^>]*checked', page.text)
    assert "Merci, c&#39;est noté.</textarea>" in page.text


def test_handler_and_url_actions_are_saved(manager, service, tmp_path):
    (tmp_path / "handlers").mkdir()
    shutil.copy(ROOT / "handlers" / "quiz.py", tmp_path / "handlers" / "quiz.py")
    assert post(manager, "/manager/options", action="handler", handler="quiz.py").status_code == 302
    assert service.reply_options() == {"action": "handler", "handler": "quiz.py"}
    url = {"action": "url", "url": "https://example.fr/hook", "use_response": "on"}
    assert post(manager, "/manager/options", **url).status_code == 302
    assert service.reply_options()["use_response"] is True
    page = manager.get("/manager/options")
    assert re.search(r'id="use_response"[^>]*checked', page.text)
    assert 'value="https://example.fr/hook"' in page.text


def test_options_error_is_shown_next_to_the_field(manager, service):
    response = post(manager, "/manager/options", action="text", text="  ")
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="text-error">(.*?)</p>', response.text, re.S)
    assert error and "Ce champ est obligatoire." in html.unescape(error.group(1))
    assert service.reply_options() == {"action": "none"}


def test_options_missing_script_is_refused_in_place(manager, service):
    response = post(manager, "/manager/options", action="cgi", script="nope.sh")
    assert response.status_code == 422
    assert 'id="script-error"' in response.text


def test_rules_and_notifications_rows_round_trip(manager, service):
    rows = {
        "rules-0-match": "keyword",
        "rules-0-pattern": "OUI",
        "rules-0-aliases": "YES, O",
        "rules-0-action": "text",
        "rules-0-value": "Confirmé",
        "rules-1-match": "regex",
        "rules-1-pattern": "^rdv",
        "rules-1-action": "none",
        "rules-1-value": "",
        "rules-2-pattern": "",  # the blank row
        "notifications-0-media": "email",
        "notifications-0-sender": "sms@example.fr",
        "notifications-0-target": "moi@example.fr",
        "notifications-1-media": "email",
        "notifications-1-target": "",
    }
    assert post(manager, "/manager/options", action="none", **rows).status_code == 302
    saved = service.reply_options()
    assert saved["rules"][0]["keyword"] == "OUI" and saved["rules"][0]["aliases"] == ["YES", "O"]
    assert saved["rules"][0]["text"] == "Confirmé"
    assert saved["rules"][1]["regex"] == "^rdv" and saved["rules"][1]["action"] == "none"
    assert saved["notifications"] == [
        {"media": "email", "sender": "sms@example.fr", "target": "moi@example.fr"}
    ]
    page = manager.get("/manager/options")
    assert 'name="rules-0-pattern" value="OUI"' in page.text
    assert 'name="rules-2-pattern" value=""' in page.text  # one blank row to add another
    deleted = {**rows, "rules-0-delete": "on", "notifications-0-delete": "on"}
    assert post(manager, "/manager/options", action="none", **deleted).status_code == 302
    assert [rule.get("regex") for rule in service.reply_options()["rules"]] == ["^rdv"]
    assert "notifications" not in service.reply_options()


def test_a_rule_can_let_go_of_its_conversation(manager, service, tmp_path):
    rows = {
        "rules-0-match": "keyword",
        "rules-0-pattern": "QUIZ",
        "rules-0-action": "text",
        "rules-0-value": "Question ?",
        "rules-1-match": "keyword",
        "rules-1-pattern": "AIDE",
        "rules-1-action": "text",
        "rules-1-value": "Aide.",
        "rules-1-unsticky": "on",
    }
    assert post(manager, "/manager/options", action="none", **rows).status_code == 302
    quiz, help_rule = service.reply_options()["rules"]
    assert "sticky" not in quiz and help_rule["sticky"] is False
    page = manager.get("/manager/options").text
    assert 'id="rules-1-unsticky" name="rules-1-unsticky" value="on" checked' in page
    assert 'id="rules-0-unsticky" name="rules-0-unsticky" value="on" aria' in page


def test_php_scripts_without_the_executable_bit_are_offered(manager, service, tmp_path):
    (tmp_path / "cgi-bin").mkdir()
    (tmp_path / "cgi-bin" / "reply.php").write_text("<?php echo 'x';\n")
    (tmp_path / "cgi-bin" / "notes.txt").write_text("not a script\n")
    page = manager.get("/manager/options").text
    assert '<option value="reply.php"' in page and "notes.txt" not in page


def test_a_bad_rule_is_pointed_at_its_row(manager, service):
    rows = {
        "rules-0-pattern": "",  # blank: skipped, so the service's rules[0] is form row 1
        "rules-1-match": "keyword",
        "rules-1-pattern": "OUI",
        "rules-1-action": "text",
        "rules-1-value": "",
    }
    response = post(manager, "/manager/options", action="none", **rows)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="rules-1-error">(.*?)</p>', response.text, re.S)
    # Numbered as the page numbers the row (« Règle 2 »), never the service's rules[0].
    assert error and "Règle 2 : Ce champ est obligatoire." in html.unescape(error.group(1))
    assert "rules[0]" not in response.text
    assert 'id="rules-1" aria-invalid="true"' in response.text


# -- conversations, threads and replies -------------------------------------------------


def test_thread_shows_the_reply_and_its_text_answer(manager, service, conversation):
    service.set_reply_options({"action": "text", "text": "Merci, c'est noté."})
    simulate(manager, conversation=str(conversation))
    thread = text_of(manager.get(f"/manager/conversations/{conversation}"))
    assert "RDV demain ?" in thread and "Réponses (1)" in thread
    assert "OUI" in thread and "traitée" in thread
    assert "Réponse envoyée Merci, c'est noté." in thread
    assert "Crédits dépensés 3" in thread  # message + reply + answer


def test_thread_shows_what_a_cgi_script_saw_and_printed(manager, service, tmp_path, conversation):
    (tmp_path / "cgi-bin").mkdir()
    shutil.copy(ROOT / "cgi-bin" / "echo.sh", tmp_path / "cgi-bin" / "echo.sh")
    assert post(manager, "/manager/options", action="cgi", script="echo.sh").status_code == 302
    page = text_of(simulate(manager, conversation=str(conversation), message="Oui merci"))
    assert "Variables vues par le script" in page
    assert "X_SMSREPLY_MESSAGE Oui merci" in page
    assert "exit_code 0" in page
    assert "Vous avez écrit : Oui merci" in page


def test_list_searches_filters_and_pages(manager, service, clock):
    for number in ("0612345678", "0612345679", "0612345678"):
        service.send_message(number, "Bonjour", "t" + number[-1])
    clock.advance(hours=49)
    service.send_message("0612345679", "Encore")
    count = lambda query: text_of(manager.get("/manager/" + query))  # noqa: E731
    assert "4 conversations" in count("")
    assert "2 conversations" in count("?number=06+12+34+56+78")
    assert "1 conversation " in count("?tag=t9")
    assert "1 conversation " in count("?status=open")
    assert "3 conversations" in count("?status=closed")
    for index in range(30):
        service.send_message("0612345670", f"Message {index}")
    first = manager.get("/manager/")
    assert 'rel="next"' in first.text and "Message 29" in first.text
    second = manager.get("/manager/?page=2")
    assert 'rel="prev"' in second.text and "Message 0" in second.text


def test_late_and_unmatched_replies_show_their_reason(manager, service, clock, conversation):
    clock.advance(hours=49)
    late = text_of(simulate(manager, conversation=str(conversation), message="Trop tard"))
    assert "refusée" in late and "après la fermeture du délai de réponse" in late
    lost = text_of(simulate(manager, sender="0698765432", shortcode="38000", message="Allo"))
    assert "aucune conversation envoyée à ce numéro" in lost
    replies = text_of(manager.get("/manager/replies"))
    assert "Allo" in replies and "Trop tard" in replies
    only = text_of(manager.get("/manager/replies?status=handled"))
    assert "Allo" not in only


def test_a_failed_script_looks_failed_everywhere(manager, service, tmp_path, conversation):
    """Issue 11 item 1: red badge, readable sentences, a filter and a count of failures."""
    (tmp_path / "cgi-bin").mkdir()
    crash = tmp_path / "cgi-bin" / "crash.sh"
    crash.write_text("#!/bin/sh\necho 'IndexError: list index out of range' >&2\nexit 1\n")
    crash.chmod(0o755)
    assert post(manager, "/manager/options", action="cgi", script="crash.sh").status_code == 302
    page = simulate(manager, conversation=str(conversation), message="OUI")
    assert '<span class="badge badge-failed">traitée · échec</span>' in page.text
    words = text_of(page)
    assert "Le script crash.sh a tourné" in words and " ms." in words
    assert "Il s'est terminé en erreur : code de sortie 1" in words
    assert "Résultat : échec, rien n'a été envoyé. exit: exit status 1: IndexError" in words
    manager.set_cookie("lang", "en")
    english = text_of(manager.get(page.request.path + "?" + page.request.query_string.decode()))
    assert (
        "The script crash.sh ran for" in english and "It ended in error: exit status 1" in english
    )
    manager.set_cookie("lang", "fr")
    assert "1 réponse en échec : voir laquelle" in text_of(manager.get("/manager/"))
    assert post(manager, "/manager/options", action="text", text="Merci").status_code == 302
    simulate(manager, conversation=str(conversation), message="NON")
    failed = text_of(manager.get("/manager/replies?result=failed"))
    assert "OUI" in failed and "NON" not in failed and "IndexError" in failed
    answered = manager.get("/manager/replies?result=answered")
    assert "badge-answered" in answered.text and "OUI" not in text_of(answered)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("nosuchcommand\n", "127 : une commande lancée par le script est introuvable"),
        ("kill -9 $$\n", "Il a été tué par le signal 9 (SIGKILL)."),
        ("sh -c 'kill -15 $$'\nexit $?\n", "tué par le signal 15"),
    ],
)
def test_exit_statuses_are_explained(manager, service, tmp_path, conversation, body, words):
    (tmp_path / "cgi-bin").mkdir()
    script = tmp_path / "cgi-bin" / "end.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    assert post(manager, "/manager/options", action="cgi", script="end.sh").status_code == 302
    assert words in text_of(simulate(manager, conversation=str(conversation), message="x"))


def test_console_says_when_the_base_url_reaches_no_server(manager, service):
    service.settings["server.base_url"] = "http://127.0.0.1:9"
    response = post(manager, "/manager/console", sender="0612345678", message="x", shortcode="1")
    assert response.status_code == 502
    assert "no smsreply server answers at http://127.0.0.1:9" in text_of(response)


def test_console_reports_callback_errors_next_to_the_field(manager):
    response = post(manager, "/manager/console", sender="0612345678", message="", shortcode="")
    assert response.status_code == 400
    assert 'id="message-error"' in response.text
    assert "Ce champ est obligatoire." in text_of(response)
    response = post(manager, "/manager/console", sender="0612345678", message="OK", shortcode="1a")
    assert 'id="shortcode-error"' in response.text and "Des chiffres seulement." in text_of(
        response
    )


# -- credits ----------------------------------------------------------------------------


def test_credits_balance_ledger_and_top_up(manager, service):
    page = text_of(manager.get("/manager/credits"))
    assert "100 crédits" in page and "+100" in page
    response = post(manager, "/manager/credits", amount="25", reason="bon de commande 7")
    assert response.status_code == 302 and service.store.balance() == 125
    page = text_of(manager.get("/manager/credits"))
    assert "25 crédits ajoutés ; nouveau solde : 125." in page
    assert "bon de commande 7" in page
    post(manager, "/manager/credits", amount="1")
    assert "1 crédit ajouté ; nouveau solde : 126." in text_of(manager.get("/manager/credits"))


def test_credits_show_the_providers_own_balance_when_known(manager, service):
    assert 'id="provider-balance"' not in manager.get("/manager/credits").text
    with service.store.write():
        service.store.set_option(
            "provider_credits", {"provider": "ovh", "balance": 42.5, "at": service.now_iso()}
        )
    page = text_of(manager.get("/manager/credits"))
    assert "Solde chez le fournisseur (ovh) : 42.5, au 25 nov. 2026, 10:00" in page


@pytest.mark.parametrize("amount", ["", "-5", "1.5", "abc", "0", "9" * 40])
def test_bad_amounts_are_refused_next_to_the_field(manager, service, amount):
    response = post(manager, "/manager/credits", amount=amount)
    assert response.status_code == 422
    assert 'id="amount-error"' in response.text
    assert service.store.balance() == 100


def test_low_balance_warning(manager, service):
    assert "Crédit faible" not in text_of(manager.get("/manager/credits"))
    service.store.change_credits(-95, "t", "test")
    page = text_of(manager.get("/manager/compose"))
    assert "Crédit faible : il reste 5 crédits." in page
    service.store.change_credits(-4, "t", "test")
    assert "il reste 1 crédit." in text_of(manager.get("/manager/compose"))


# -- languages --------------------------------------------------------------------------


def test_language_follows_the_browser_then_the_switch(manager):
    english = manager.get("/manager/compose", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Compose a message" in english.text
    french = manager.get("/manager/compose", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="fr">' in french.text and "Composer un message" in french.text
    switch = manager.get("/manager/lang/en?next=/manager/credits")
    assert switch.status_code == 302 and switch.location == "/manager/credits"
    assert "lang=en" in switch.headers["Set-Cookie"]
    page = manager.get("/manager/credits", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in page.text and "Balance" in page.text


def test_language_switch_works_before_login_and_stays_home(client):
    response = client.get("/manager/lang/en?next=https://evil.example/")
    assert response.location == "/manager/"
    assert "Log in" in client.get("/manager/login").text
