"""The manager's words in French and English: a small catalogue, one entry per key.

Each key maps to its text in every language; ``{name}`` placeholders are filled by
``translate``. The language comes from the ``lang`` cookie (set by the switch link) or
else the browser's ``Accept-Language``; French when neither says. Messages from the
domain (validation errors) stay in English and are marked ``lang="en"`` in the pages.

Example::

    translate("compose.sent", "fr", id=3)  # "Message envoyé (conversation n° 3)."
"""

from __future__ import annotations

from werkzeug.datastructures import LanguageAccept

from .i18n_campaigns import MESSAGES as CAMPAIGN_MESSAGES

LANGUAGES = ("fr", "en")
DEFAULT = "fr"  # the service is French short codes; the seed's users read French
COOKIE = "lang"

MESSAGES: dict[str, dict[str, str]] = {
    # navigation and layout
    "nav.skip": {"fr": "Aller au contenu", "en": "Skip to content"},
    "nav.label": {"fr": "Menu principal", "en": "Main menu"},
    "nav.language": {"fr": "Langue", "en": "Language"},
    "nav.compose": {"fr": "Composer un message", "en": "Compose a message"},
    "nav.options": {"fr": "Options des réponses", "en": "Reply options"},
    "nav.conversations": {"fr": "Conversations", "en": "Conversations"},
    "nav.replies": {"fr": "Réponses", "en": "Replies"},
    "nav.credits": {"fr": "Crédits", "en": "Credits"},
    "nav.blacklist": {"fr": "Liste noire", "en": "Blacklist"},
    "nav.console": {"fr": "Console de test", "en": "Test console"},
    "nav.balance": {"fr": "{balance} crédit(s)", "en": "{balance} credit(s)"},
    "nav.logout": {"fr": "Se déconnecter ({user})", "en": "Log out ({user})"},
    "form.error": {"fr": "Erreur :", "en": "Error:"},
    "error.title": {"fr": "Erreur {status}", "en": "Error {status}"},
    "error.back": {"fr": "Retour aux conversations", "en": "Back to the conversations"},
    "pager.label": {"fr": "Pages", "en": "Pages"},
    "pager.previous": {"fr": "← Page précédente", "en": "← Previous page"},
    "pager.next": {"fr": "Page suivante →", "en": "Next page →"},
    "pager.page": {"fr": "Page {page}", "en": "Page {page}"},
    # login
    "login.title": {"fr": "Connexion", "en": "Log in"},
    "login.username": {"fr": "Nom d'utilisateur", "en": "User name"},
    "login.password": {"fr": "Mot de passe", "en": "Password"},
    "login.submit": {"fr": "Se connecter", "en": "Log in"},
    "login.failed": {
        "fr": "Nom d'utilisateur ou mot de passe incorrect.",
        "en": "Wrong user name or password.",
    },
    "login.throttled": {
        "fr": "Trop d'essais. Réessayez dans {seconds} seconde(s).",
        "en": "Too many tries. Try again in {seconds} second(s).",
    },
    "login.hint": {
        "fr": "Comptes : smsreply user add NOM ; mot de passe oublié : smsreply user passwd NOM.",
        "en": "Accounts: smsreply user add NAME; forgotten password: smsreply user passwd NAME.",
    },
    # compose
    "compose.title": {"fr": "Composer un message", "en": "Compose a message"},
    "compose.sender": {"fr": "Expéditeur", "en": "Sender"},
    "compose.sender_shortcode": {
        "fr": "Numéro court permettant la réponse (France uniquement)",
        "en": "Short code allowing replies (France only)",
    },
    "compose.sender_hint": {
        "fr": "Le destinataire peut répondre pendant 48 heures ; sa réponse n'est pas surtaxée.",
        "en": "The recipient may reply for 48 hours; the reply costs them nothing extra.",
    },
    "compose.to": {"fr": "Destinataire", "en": "Recipient"},
    "compose.to_hint": {
        "fr": "Un mobile français, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78.",
        "en": "A French mobile, for example 06 12 34 56 78 or +33 6 12 34 56 78.",
    },
    "compose.to_invalid": {
        "fr": "Ce numéro ne ressemble pas à un mobile français (06 ou 07).",
        "en": "This does not look like a French mobile number (06 or 07).",
    },
    "compose.message": {"fr": "Message", "en": "Message"},
    "compose.counter": {
        "fr": "{units} / {capacity} caractères · {parts} SMS · {credits} crédit(s) · {encoding}",
        "en": "{units} / {capacity} characters · {parts} SMS · {credits} credit(s) · {encoding}",
    },
    "compose.too_long": {
        "fr": "— trop long : {max} SMS au plus.",
        "en": "— too long: at most {max} SMS.",
    },
    "compose.tag": {"fr": "Étiquette (facultative)", "en": "Tag (optional)"},
    "compose.tag_hint": {
        "fr": "Votre repère pour cette conversation, transmis aux scripts.",
        "en": "Your label for this conversation, passed on to scripts.",
    },
    "compose.send": {"fr": "Envoyer", "en": "Send"},
    "compose.sent": {
        "fr": "Message envoyé (conversation n° {id}).",
        "en": "Message sent (conversation #{id}).",
    },
    "encoding.gsm7": {"fr": "GSM-7", "en": "GSM-7"},
    "encoding.ucs2": {"fr": "Unicode (UCS-2)", "en": "Unicode (UCS-2)"},
    # reply options
    "options.title": {"fr": "Options des réponses", "en": "Reply options"},
    "options.lead": {
        "fr": "Ce qui est fait de chaque réponse reçue. Chaque réponse envoyée coûte des crédits.",
        "en": "What is done with each reply received. Every answer sent costs credits.",
    },
    "options.action": {"fr": "Action à effectuer", "en": "Action to take"},
    "options.action.none": {"fr": "Aucune", "en": "None"},
    "options.action.text": {
        "fr": "Répondre par un texte prédéfini",
        "en": "Answer with a predefined text",
    },
    "options.action.cgi": {"fr": "Appeler un CGI (cgi-bin/)", "en": "Call a CGI script (cgi-bin/)"},
    "options.action.handler": {
        "fr": "Appeler un module Python (handlers/)",
        "en": "Call a Python module (handlers/)",
    },
    "options.action.url": {"fr": "Appeler une URL", "en": "Call a URL"},
    "options.text": {"fr": "Texte prédéfini", "en": "Predefined text"},
    "options.script": {"fr": "Script CGI", "en": "CGI script"},
    "options.script_hint": {
        "fr": "Les fichiers exécutables de {folder}.",
        "en": "The executable files in {folder}.",
    },
    "options.no_scripts": {
        "fr": "Aucun fichier exécutable dans {folder}.",
        "en": "No executable file in {folder}.",
    },
    "options.handler": {"fr": "Module Python", "en": "Python module"},
    "options.handler_hint": {
        "fr": "Les fichiers .py de {folder}.",
        "en": "The .py files in {folder}.",
    },
    "options.no_handlers": {
        "fr": "Aucun fichier .py dans {folder}.",
        "en": "No .py file in {folder}.",
    },
    "options.url": {"fr": "URL appelée", "en": "URL to call"},
    "options.url_hint": {
        "fr": "La réponse est envoyée à cette adresse (https conseillé).",
        "en": "The reply is sent to this address (https advised).",
    },
    "options.use_response": {
        "fr": "Renvoyer le corps de la réponse HTTP comme SMS",
        "en": "Send the HTTP response body back as the SMS answer",
    },
    "options.follow_redirects": {
        "fr": "Suivre les redirections (la réponse est alors postée à l'adresse indiquée)",
        "en": "Follow redirects (the reply is then posted to the address they give)",
    },
    "options.rules": {"fr": "Règles par mot-clé", "en": "Keyword rules"},
    "options.rules_hint": {
        "fr": "La première règle qui correspond à la réponse choisit l'action ; sinon l'action "
        "ci-dessus. Remplissez la ligne vide pour en ajouter une.",
        "en": "The first rule matching the reply chooses the action; otherwise the action "
        "above. Fill in the blank row to add one.",
    },
    "options.rule_n": {"fr": "Règle {n}", "en": "Rule {n}"},
    "options.rule_new": {"fr": "Nouvelle règle", "en": "New rule"},
    "options.rule_match": {"fr": "Correspondance", "en": "Match"},
    "options.match.keyword": {"fr": "Mot-clé", "en": "Keyword"},
    "options.match.regex": {"fr": "Expression régulière", "en": "Regular expression"},
    "options.rule_pattern": {"fr": "Mot-clé ou expression", "en": "Keyword or expression"},
    "options.rule_aliases": {
        "fr": "Synonymes (séparés par des virgules)",
        "en": "Aliases (comma-separated)",
    },
    "options.rule_action": {"fr": "Action", "en": "Action"},
    "options.rule_value": {
        "fr": "Texte, script, module ou URL",
        "en": "Text, script, module or URL",
    },
    "options.delete": {"fr": "Supprimer", "en": "Delete"},
    "options.rule_unsticky": {
        "fr": "Ne pas garder la conversation",
        "en": "Do not keep the conversation",
    },
    "options.rule_unsticky_hint": {
        "fr": "Par défaut, les réponses suivantes d'une conversation vont à l'action de la "
        "règle qui l'a choisie ; cochez pour router chaque réponse selon ses mots.",
        "en": "By default a conversation's next replies go to the action of the rule that "
        "chose it; tick to route each reply on its own words.",
    },
    "options.notifications": {"fr": "Notifications de réception", "en": "Reply notifications"},
    "options.notifications_hint": {
        "fr": "Un e-mail ou un SMS à chaque réponse reçue (un SMS coûte un crédit).",
        "en": "An e-mail or an SMS for each reply received (an SMS costs a credit).",
    },
    "options.notification_n": {"fr": "Notification {n}", "en": "Notification {n}"},
    "options.notification_new": {"fr": "Nouvelle notification", "en": "New notification"},
    "options.media": {"fr": "Média", "en": "Medium"},
    "options.media.email": {"fr": "E-mail", "en": "E-mail"},
    "options.media.sms": {"fr": "SMS", "en": "SMS"},
    "options.notification_sender": {
        "fr": "Expéditeur (adresse ou nom SMS)",
        "en": "Sender (address or SMS name)",
    },
    "options.notification_target": {
        "fr": "Adresse e-mail ou numéro (format international)",
        "en": "E-mail address or number (international format)",
    },
    "options.save": {"fr": "Enregistrer", "en": "Save"},
    "options.saved": {"fr": "Options des réponses enregistrées.", "en": "Reply options saved."},
    # conversations and replies
    "conversations.title": {"fr": "Conversations", "en": "Conversations"},
    "conversations.search": {"fr": "Rechercher des conversations", "en": "Search conversations"},
    "conversations.number": {"fr": "Numéro", "en": "Number"},
    "conversations.tag": {"fr": "Étiquette", "en": "Tag"},
    "conversations.status": {"fr": "État", "en": "Status"},
    "conversations.any_status": {"fr": "Tous", "en": "Any"},
    "conversations.search_button": {"fr": "Rechercher", "en": "Search"},
    "conversations.count": {"fr": "{total} conversation(s)", "en": "{total} conversation(s)"},
    "conversations.none": {"fr": "Aucune conversation.", "en": "No conversations."},
    "conversations.to": {"fr": "Destinataire", "en": "Recipient"},
    "conversations.sent": {"fr": "Envoyé le", "en": "Sent"},
    "conversations.replies": {"fr": "Réponses", "en": "Replies"},
    "conversation.title": {"fr": "Conversation n° {id}", "en": "Conversation #{id}"},
    "conversation.open": {"fr": "ouverte", "en": "open"},
    "conversation.closed": {"fr": "close", "en": "closed"},
    "conversation.message": {"fr": "Message envoyé", "en": "Message sent"},
    "conversation.replies_until": {
        "fr": "Réponses acceptées jusqu'au",
        "en": "Replies accepted until",
    },
    "conversation.credits_spent": {"fr": "Crédits dépensés", "en": "Credits spent"},
    "conversation.replies": {"fr": "Réponses ({count})", "en": "Replies ({count})"},
    "conversation.no_replies": {"fr": "Pas encore de réponse.", "en": "No replies yet."},
    "conversation.simulate": {
        "fr": "Simuler une réponse dans la console",
        "en": "Simulate a reply in the console",
    },
    "replies.title": {"fr": "Réponses reçues", "en": "Replies received"},
    "replies.lead": {
        "fr": "Toutes les réponses, y compris celles rattachées à aucune conversation.",
        "en": "Every reply, including those that matched no conversation.",
    },
    "replies.filter": {"fr": "Filtrer les réponses", "en": "Filter replies"},
    "replies.filter_button": {"fr": "Filtrer", "en": "Filter"},
    "replies.none": {"fr": "Aucune réponse.", "en": "No replies."},
    "replies.back": {"fr": "Toutes les réponses", "en": "All replies"},
    "reply.title": {"fr": "Réponse n° {id}", "en": "Reply #{id}"},
    "reply.number": {
        "fr": "n° {number} de la conversation",
        "en": "number {number} in the conversation",
    },
    "reply.from": {"fr": "De", "en": "From"},
    "reply.shortcode": {"fr": "Numéro court", "en": "Short code"},
    "reply.received": {"fr": "Reçue le", "en": "Received"},
    "reply.status": {"fr": "État", "en": "Status"},
    "reply.pending": {"fr": "en attente", "en": "pending"},
    "reply.handled": {"fr": "traitée", "en": "handled"},
    "reply.rejected": {"fr": "refusée", "en": "rejected"},
    "reply.action": {"fr": "Action", "en": "Action"},
    "reply.credits": {"fr": "Crédits", "en": "Credits"},
    "reply.conversation": {"fr": "Conversation", "en": "Conversation"},
    "reply.outcome": {"fr": "Ce qui a été fait", "en": "What was done"},
    "reply.environ": {"fr": "Variables vues par le script", "en": "Variables the script saw"},
    "reply.variable": {"fr": "Variable", "en": "Variable"},
    "reply.value": {"fr": "Valeur", "en": "Value"},
    "reply.answer": {"fr": "Réponse envoyée", "en": "Answer sent"},
    "reason.not_french_mobile": {
        "fr": "l'expéditeur n'est pas un mobile français métropolitain",
        "en": "the sender is not a French metropolitan mobile",
    },
    "reason.unmatched": {
        "fr": "aucune conversation envoyée à ce numéro depuis ce numéro court",
        "en": "no conversation was sent to this number from this short code",
    },
    "reason.late": {
        "fr": "réponse arrivée après la fermeture du délai de réponse",
        "en": "the reply came after the reply window closed",
    },
    "reason.insufficient_credits": {
        "fr": "le solde ne couvrait pas le crédit de la réponse",
        "en": "the balance could not cover the reply's credit",
    },
    "reason.stop": {
        "fr": "l'expéditeur a répondu STOP : le numéro est sur liste noire",
        "en": "the sender replied STOP: the number is blacklisted",
    },
    "reason.blacklisted": {
        "fr": "l'expéditeur avait déjà répondu STOP : le numéro est sur liste noire",
        "en": "the sender had replied STOP before: the number is blacklisted",
    },
    "sms.status": {"fr": "Envoi", "en": "Sending"},
    "sms.queued": {"fr": "en file", "en": "queued"},
    "sms.sending": {"fr": "en cours", "en": "sending"},
    "sms.sent": {"fr": "envoyé", "en": "sent"},
    "sms.failed": {"fr": "échec", "en": "failed"},
    "sms.no_credit": {"fr": "crédit insuffisant", "en": "no credit"},
    "sms.delivery": {"fr": "Remise", "en": "Delivery"},
    "delivery.delivered": {"fr": "remis", "en": "delivered"},
    "delivery.pending": {"fr": "en attente", "en": "pending"},
    "delivery.failed": {"fr": "non remis", "en": "failed"},
    "sms.size": {"fr": "Taille", "en": "Size"},
    "sms.size_value": {
        "fr": "{segments} SMS ({encoding}), {credits} crédit(s)",
        "en": "{segments} SMS ({encoding}), {credits} credit(s)",
    },
    "sms.sent_at": {"fr": "Transmis le", "en": "Handed over"},
    # credits
    "credits.title": {"fr": "Crédits", "en": "Credits"},
    "credits.balance": {"fr": "Solde", "en": "Balance"},
    "credits.balance_value": {"fr": "{balance} crédit(s)", "en": "{balance} credit(s)"},
    "credits.threshold": {
        "fr": "Alerte sous {threshold} crédits (réglage manager.low_balance).",
        "en": "Warning under {threshold} credits (setting manager.low_balance).",
    },
    "credits.provider_balance": {
        "fr": "Solde chez le fournisseur ({provider}) : {balance}, au {at}.",
        "en": "Balance at the provider ({provider}): {balance}, as of {at}.",
    },
    "credits.low_warning": {
        "fr": "Crédit faible : il reste {balance} crédit(s). À zéro, réponses et envois échouent.",
        "en": "Low credit: {balance} credit(s) left. Replies and sends fail at zero.",
    },
    "credits.add_link": {"fr": "Ajouter des crédits", "en": "Add credits"},
    "credits.add": {"fr": "Ajouter des crédits", "en": "Add credits"},
    "credits.amount": {"fr": "Nombre de crédits", "en": "Number of credits"},
    "credits.reason": {"fr": "Motif", "en": "Reason"},
    "credits.add_button": {"fr": "Ajouter", "en": "Add"},
    "credits.added": {
        "fr": "{amount} crédit(s) ajouté(s) ; nouveau solde : {balance}.",
        "en": "{amount} credit(s) added; new balance: {balance}.",
    },
    "credits.ledger": {"fr": "Mouvements", "en": "Ledger"},
    "credits.at": {"fr": "Date", "en": "When"},
    "credits.delta": {"fr": "Mouvement", "en": "Change"},
    "credits.about": {"fr": "Concerne", "en": "About"},
    "credits.empty": {"fr": "Aucun mouvement.", "en": "No entries."},
    # blacklist
    "blacklist.title": {"fr": "Liste noire", "en": "Blacklist"},
    "blacklist.lead": {
        "fr": "Les numéros qui ont répondu STOP ne reçoivent plus rien. Retirez un numéro "
        "seulement si son titulaire a de nouveau donné son accord.",
        "en": "Numbers that replied STOP receive nothing more. Remove a number only if its "
        "owner has agreed again.",
    },
    "blacklist.number": {"fr": "Numéro", "en": "Number"},
    "blacklist.since": {"fr": "Depuis le", "en": "Since"},
    "blacklist.message": {"fr": "Message STOP", "en": "STOP message"},
    "blacklist.reply": {"fr": "Réponse", "en": "Reply"},
    "blacklist.actions": {"fr": "Actions", "en": "Actions"},
    "blacklist.remove": {"fr": "Retirer", "en": "Remove"},
    "blacklist.removed": {
        "fr": "{number} retiré de la liste noire : il peut de nouveau recevoir des messages.",
        "en": "{number} removed from the blacklist: it can receive messages again.",
    },
    "blacklist.empty": {
        "fr": "La liste noire est vide : personne n'a répondu STOP.",
        "en": "The blacklist is empty: nobody replied STOP.",
    },
    # results and "what was done" (issue 11)
    "result.answered": {"fr": "répondu", "en": "answered"},
    "result.no_answer": {"fr": "sans réponse", "en": "no answer"},
    "result.failed": {"fr": "échec", "en": "failed"},
    "reply.result": {"fr": "Résultat", "en": "Result"},
    "replies.any_result": {"fr": "— tous —", "en": "— any —"},
    "conversations.failures": {
        "fr": "{count} réponse(s) en échec : voir lesquelles",
        "en": "{count} failed reply(ies): see which",
    },
    "outcome.details": {"fr": "Détails techniques", "en": "Technical details"},
    "outcome.ran_script": {
        "fr": "Le script {name} a tourné {ms} ms.",
        "en": "The script {name} ran for {ms} ms.",
    },
    "outcome.ran_handler": {
        "fr": "Le gestionnaire {name} a tourné {ms} ms.",
        "en": "The handler {name} ran for {ms} ms.",
    },
    "outcome.called_url": {
        "fr": "L'adresse {url} a été appelée ({attempts} essai(s)).",
        "en": "The URL {url} was called ({attempts} attempt(s)).",
    },
    "outcome.action_none": {
        "fr": "Aucune action : la réponse est seulement enregistrée.",
        "en": "No action: the reply is only stored.",
    },
    "outcome.action_text": {
        "fr": "Le texte prédéfini a été choisi comme réponse.",
        "en": "The predefined text was chosen as the answer.",
    },
    "outcome.exit_ok": {
        "fr": "Il s'est terminé normalement (code de sortie 0).",
        "en": "It ended normally (exit status 0).",
    },
    "outcome.exit_failed": {
        "fr": "Il s'est terminé en erreur : code de sortie {code} (tout code autre que 0 "
        "signale un échec).",
        "en": "It ended in error: exit status {code} (any status but 0 reports a failure).",
    },
    "outcome.exit_126": {
        "fr": "126 : une commande lancée par le script n'a pas pu s'exécuter (permission).",
        "en": "126: a command the script ran could not be executed (permission).",
    },
    "outcome.exit_127": {
        "fr": "127 : une commande lancée par le script est introuvable (PATH).",
        "en": "127: a command the script ran was not found (PATH).",
    },
    "outcome.exit_signal": {
        "fr": "Un code au-delà de 128 signale souvent un programme tué par le signal {number}.",
        "en": "A status above 128 usually means a program killed by signal {number}.",
    },
    "outcome.signal": {
        "fr": "Il a été tué par le signal {number} ({name}).",
        "en": "It was killed by signal {number} ({name}).",
    },
    "outcome.timeout": {
        "fr": "Il a dépassé le temps permis (cgi.timeout) et a été arrêté.",
        "en": "It ran past its time limit (cgi.timeout) and was stopped.",
    },
    "outcome.rule": {"fr": "Choisi par la règle « {rule} ».", "en": "Chosen by the rule “{rule}”."},
    "outcome.rule_sticky": {
        "fr": "Choisi par la règle « {rule} » ; les réponses suivantes de la conversation "
        "iront à la même action.",
        "en": "Chosen by the rule “{rule}”; the conversation's next replies go to the same action.",
    },
    "outcome.result_answered": {"fr": "Résultat : réponse envoyée.", "en": "Result: answered."},
    "outcome.result_no_answer": {
        "fr": "Résultat : pas de réponse, comme prévu.",
        "en": "Result: no answer, by design.",
    },
    "outcome.result_failed": {
        "fr": "Résultat : échec, rien n'a été envoyé.",
        "en": "Result: failed, nothing was sent.",
    },
    # test console
    "console.title": {"fr": "Console de test", "en": "Test console"},
    "console.lead": {
        "fr": "Tapez une réponse comme depuis un téléphone : elle passe par le vrai rappel "
        "(callback), l'action s'exécute, et vous voyez tout ce qui s'est passé.",
        "en": "Type a reply as if from a phone: it goes through the real callback, the "
        "action runs, and you see everything that happened.",
    },
    "console.conversation": {"fr": "Conversation ouverte", "en": "Open conversation"},
    "console.no_conversation": {"fr": "— aucune (saisie libre) —", "en": "— none (type below) —"},
    "console.conversation_option": {
        "fr": "n° {id} · {to} · {shortcode} · {message}",
        "en": "#{id} · {to} · {shortcode} · {message}",
    },
    "console.conversation_hint": {
        "fr": "Remplit le numéro, le numéro court et l'étiquette comme OVH les renverrait.",
        "en": "Fills in the number, short code and tag as OVH would send them.",
    },
    "console.sender": {
        "fr": "Numéro du téléphone qui répond",
        "en": "Number of the replying phone",
    },
    "console.shortcode": {"fr": "Numéro court", "en": "Short code"},
    "console.tag": {"fr": "Étiquette renvoyée par OVH", "en": "Tag echoed by OVH"},
    "console.message": {"fr": "Texte de la réponse", "en": "Reply text"},
    "console.send": {"fr": "Simuler la réponse", "en": "Simulate the reply"},
    "console.result": {"fr": "Résultat", "en": "Result"},
}
MESSAGES |= CAMPAIGN_MESSAGES


def translate(key: str, lang: str, default: str | None = None, **params: object) -> str:
    """``key`` in ``lang`` with ``{name}`` filled from ``params``; ``default`` (or the key)
    when the catalogue has no such key, so a status added later still shows."""
    entry = MESSAGES.get(key)
    if entry is None:
        return default if default is not None else key
    text = entry.get(lang) or entry["en"]
    return text.format(**params) if params else text


def choose(cookie: str | None, accept: LanguageAccept) -> str:
    """The ``lang`` cookie if it names a language, else the browser's best match."""
    if cookie in LANGUAGES:
        return cookie
    return accept.best_match(LANGUAGES, default=DEFAULT)
