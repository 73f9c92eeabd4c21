#!/usr/bin/env python3
"""Medical appointment confirmation, as a classic CGI script.

Send the reminder with the appointment's id as tag (``--tag rdv-42``). A reply OUI
confirms it, NON cancels it, anything else gets the help text. Decisions are kept in
``../var/rdv.json`` (the script runs from cgi-bin/).
"""

import json
import os
import sys
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs

STORE = Path("../var/rdv.json")


def fold(text):
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in text if c.isalnum())


def main():
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    form = parse_qs(sys.stdin.buffer.read(length).decode("utf-8"), keep_blank_values=True)
    message = form.get("message", [""])[0]
    tag = form.get("tag", [""])[0] or "votre rendez-vous"
    words = message.split()
    word = fold(words[0]) if words else ""
    if word in ("oui", "o", "yes"):
        decision, answer = "confirmed", f"Merci, le rendez-vous {tag} est confirmé."
    elif word in ("non", "n", "no"):
        decision, answer = "cancelled", f"C'est noté : le rendez-vous {tag} est annulé."
    else:
        decision = None
        answer = f"Répondez OUI pour confirmer le rendez-vous {tag}, ou NON pour l'annuler."
    if decision:
        STORE.parent.mkdir(exist_ok=True)
        data = json.loads(STORE.read_text()) if STORE.exists() else {}
        data[tag] = {"status": decision, "by": form.get("senderid", [""])[0]}
        STORE.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    sys.stdout.write("Content-Type: text/plain; charset=utf-8\r\n\r\n" + answer + "\n")


main()
