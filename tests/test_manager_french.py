"""Every manager page in French, with data of every kind, shows no English.

The data: conversations answered, failed (a crashing script), rejected (unmatched, STOP),
an SMS notification, campaigns with every kind of refused line, sent, replied STOP to and
cancelled, and a ledger with a line of every reason — the coded ones and the English
sentences older versions stored. Each page's visible text is checked against the English
side of the catalogue (a phrase of a translated msgid showing as is means a string was not
translated), against the ledger's codes and old sentences, and for Babel's French numbers
and the manager's time zone.
"""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.pofile import read_po

from smsreply.accounts.ledger_reasons import CODES, reason, top_up
from smsreply.campaigns.accepting import Draft
from smsreply.campaigns.reading import read_csv
from tests.support.actions import Phone, write_script
from tests.test_i18n import CATALOGUES
from tests.test_manager_pages import manager, post, text_of  # noqa: F401 (fixture)

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
# Old ledger sentences, as stored before the codes: the page must say them in French.
LEGACY_LEDGER = (
    "reply received",
    "refund: SMS not sent",
    "campaign #1 reserved",
    "refund: campaign #1 cancelled",
    "refund: campaign #1 recipient replied STOP",
    "initial credits",
    "top-up",
    "top-up by alice",
)


def english_phrases() -> set[str]:
    """Phrases of the catalogue's English that its French does not contain: two words or
    more, so that a word both languages share ("Message", "SMS") is not one."""
    with CATALOGUES[0].open("rb") as source:
        catalogue = read_po(source)
    phrases = set()
    for message in list(catalogue)[1:]:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        french = " ".join(strings)
        for msgid in ids:
            for piece in PLACEHOLDER.split(msgid):
                piece = piece.strip(" .,:;()“”«»#").strip()
                if " " in piece and len(piece) >= 8 and piece not in french:
                    phrases.add(piece)
    return phrases


def untranslated(text: str, phrases: set[str]) -> list[str]:
    return sorted(phrase for phrase in phrases if phrase in text)


def campaign_lines(csv: str):
    return read_csv(io.BytesIO(csv.encode()))


@pytest.fixture
def everything(app, service, manager, tmp_path):  # noqa: F811
    """Data of every kind; the pages to read, with what each must show."""
    store = service.store
    write_script(tmp_path / "cgi-bin", "crash.sh", "#!/bin/sh\necho boom >&2\nexit 3\n")
    answered = Phone(app, service, "0612345678", "RDV demain ?")
    service.set_reply_options(
        {
            "action": "text",
            "text": "Merci",
            "notifications": [{"media": "sms", "sender": "CABINET", "target": "+33698765432"}],
        }
    )
    answered_reply = answered.reply("OUI")
    service.set_reply_options({"action": "cgi", "script": "crash.sh"})
    failed = Phone(app, service, "0612345679", "Votre avis ?")
    failed_reply = failed.reply("Bien")
    stopped = Phone(app, service, "0612345670", "Promo")
    stopped.reply("STOP")
    client = app.test_client()  # a reply no conversation matches: rejected
    unmatched = client.post(
        f"/callbacks/ovh/{app.config['callback_token']}",
        data={"shortcode": "39999", "tag": "", "id": "77", "senderid": "+33611111111"}
        | {"message": "Qui ?"},
    ).get_json()["reply_id"]
    service.drain()

    columns, lines = campaign_lines(
        "numero;prenom\n0612345601;Ana\n01 23 45 67 89;Bob\n0612345601;Ana\n"
        "0612345670;Eve\n0612345602;\n+44 7911 123456;Tom\n0612345603;exemple.fr\n"
    )
    checked = Draft("Relance", "Bonjour {prenom}", columns=columns)
    sent = service.create_campaign(checked, lines)
    for _ in range(5):
        service.drain()
    [recipient], _ = service.find_conversations("0612345601", None, None, 1)
    client.post(  # a reply to the campaign's SMS
        f"/callbacks/ovh/{app.config['callback_token']}",
        data={"shortcode": recipient["shortcode"], "tag": "", "id": "78"}
        | {"senderid": recipient["to"], "message": "Oui merci"},
    )
    service.drain()
    later = Draft("Plus tard", "A demain", send_at="2099-01-01T09:00:00+01:00")
    cancelled = service.create_campaign(later, campaign_lines("numero\n0612345604\n")[1])
    service.cancel_campaign(cancelled["id"])

    at = service.now_iso()
    for code in ("refund_unsent", "campaign_stop"):  # rare: written here as the store would
        store.change_credits(1, at, reason(code, **({"campaign": 1} if "campaign" in code else {})))
    store.change_credits(1, at, reason("initial_credits"))
    store.change_credits(5, at, top_up("commande 17", user="alice"))
    store.change_credits(5, at, top_up(user="alice"))
    for old in LEGACY_LEDGER:
        store.change_credits(1, at, old)
    preview = post(
        manager,
        "/manager/campaigns",
        name="Vérif",
        message="Bonjour {prenom}",
        numbers="numero,prenom\n0612345678,Ana\n01 23 45 67 89,Bob\n0612345670,Eve\n"
        "0612345605,\n0612345678,Ana\n0612345606,exemple.fr\n",
    )
    assert preview.status_code == 200
    pages = {
        "compose": manager.get("/manager/compose"),
        "conversations": manager.get("/manager/"),
        "thread": manager.get(f"/manager/conversations/{answered.conversation['id']}"),
        "failed thread": manager.get(f"/manager/conversations/{failed.conversation['id']}"),
        "answered reply": manager.get(f"/manager/replies/{answered_reply['reply']['id']}"),
        "failed reply": manager.get(f"/manager/replies/{failed_reply['reply']['id']}"),
        "unmatched reply": manager.get(f"/manager/replies/{unmatched}"),
        "replies": manager.get("/manager/replies"),
        "failed replies": manager.get("/manager/replies?result=failed"),
        "options": manager.get("/manager/options"),
        "blacklist": manager.get("/manager/blacklist"),
        "credits": manager.get("/manager/credits"),
        "campaigns": manager.get("/manager/campaigns"),
        "check": preview,
        "campaign": manager.get(f"/manager/campaigns/{sent['id']}"),
        "cancelled campaign": manager.get(f"/manager/campaigns/{cancelled['id']}"),
        "console": manager.get("/manager/console"),
        "not found": manager.get("/manager/nothing-here"),
    }
    return pages, sent


def test_every_page_in_french_shows_no_english(everything):
    pages, _ = everything
    phrases = english_phrases()
    assert "replies only work from French mobiles" in phrases  # the reading works
    problems = {}
    for name, response in pages.items():
        text = text_of(response)
        found = untranslated(text, phrases)
        found += [old for old in LEGACY_LEDGER if old in text]
        found += [code for code in CODES if re.search(rf"\b{code}\b", text) and "_" in code]
        if found:
            problems[name] = found
    assert not problems


def test_the_ledger_says_every_reason_in_french(everything):
    text = text_of(everything[0]["credits"])
    for words in (
        "Message envoyé",
        "Réponse reçue",
        "Réponse envoyée",
        "Notification par SMS",
        "Remboursement : SMS non envoyé",
        "Crédits réservés pour la campagne n° 1",
        "Remboursement : campagne n° 2 annulée",
        "Remboursement : campagne n° 1 annulée",  # an old line, in English when stored
        "Remboursement : un destinataire de la campagne n° 1 a répondu STOP",
        "Crédits initiaux",
        "Crédits ajoutés par alice : commande 17",
        "Crédits ajoutés par alice",
        "Crédits ajoutés",
    ):
        assert words in text, words


def test_counts_rates_and_times_are_french(everything, service, manager):  # noqa: F811
    pages, sent = everything
    service.add_credits(1000)
    balance = service.store.balance()
    big = manager.get("/manager/credits").text
    assert f">{balance // 1000}\u202f{balance % 1000:03d} crédits<" in big  # « 1 112 crédits »
    campaign = pages["campaign"].text
    assert re.search(r"<dt>Envoyés</dt><dd id=\"count-sent\">\d+</dd>", campaign)
    assert "Envoyé le" not in text_of(pages["campaign"])
    assert re.search(r'id="reply-rate">\d+,\d\u00a0%<', campaign), campaign
    legend = re.findall(r"<text[^>]*>([^<]*)</text>", campaign)
    assert "Envoyés" in legend and "Réponses" in legend
    # The chart's times in manager.timezone (Paris: UTC+1 in winter), never in UTC.
    assert sent["send_at"].startswith("2026-11-25T09:00")  # UTC, the test's clock
    assert "<title>2026-11-25 10:00 Europe/Paris: 1 Envoyés</title>" in campaign
    assert "UTC" not in text_of(pages["campaign"])
    assert "Envoyés" in text_of(pages["campaigns"])  # the list's column of counts
    check = text_of(pages["check"])
    assert "« 01 23 45 67 89 » est une ligne fixe" in check
    assert "+33612345670 a répondu STOP" in check
    assert "+33612345678 est déjà à la ligne 2" in check
    assert "{prenom} est vide" in check
    assert "le message contiendrait exemple.fr" in check
