"""The campaign screens' words in French and English (merged into ``i18n.MESSAGES``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "nav.campaigns": {"fr": "Campagnes", "en": "Campaigns"},
    "campaigns.title": {"fr": "Campagnes", "en": "Campaigns"},
    "campaigns.lead": {
        "fr": "Un message à de nombreux destinataires, envoyé progressivement ; chacun peut "
        "répondre à son propre numéro court.",
        "en": "One message to many recipients, sent progressively; each can reply to a "
        "short code of their own.",
    },
    "campaigns.name": {"fr": "Nom de la campagne", "en": "Campaign name"},
    "campaigns.message": {"fr": "Message", "en": "Message"},
    "campaigns.message_hint": {
        "fr": "Un champ entre accolades est rempli avec la colonne du CSV du même nom, "
        "p. ex. « Bonjour {example} ».",
        "en": "A field in braces is filled from the CSV column of that name, "
        "e.g. “Bonjour {example}”.",
    },
    "campaigns.numbers": {"fr": "Numéros (un par ligne)", "en": "Numbers (one per line)"},
    "campaigns.numbers_hint": {
        "fr": "Collez des numéros, ou un CSV avec une ligne d'en-tête ; ou choisissez un fichier.",
        "en": "Paste numbers, or a CSV with a header line; or choose a file.",
    },
    "campaigns.file": {"fr": "Ou un fichier CSV", "en": "Or a CSV file"},
    "campaigns.tag": {"fr": "Étiquette (facultative)", "en": "Tag (optional)"},
    "campaigns.send_at": {"fr": "Envoi à partir de", "en": "Sending from"},
    "campaigns.send_at_hint": {
        "fr": "Vide : maintenant. Sinon une date ISO 8601 avec son décalage.",
        "en": "Empty: now. Otherwise an ISO 8601 time with its offset.",
    },
    "campaigns.check": {"fr": "Vérifier", "en": "Check"},
    "campaigns.preview": {"fr": "Vérification", "en": "Check"},
    "campaigns.preview_summary": {
        "fr": "{recipients} destinataire(s), {segments} SMS, {credits} crédit(s) "
        "(solde : {balance}) ; {rejected} ligne(s) refusée(s).",
        "en": "{recipients} recipient(s), {segments} SMS, {credits} credit(s) "
        "(balance: {balance}); {rejected} line(s) refused.",
    },
    "campaigns.missing": {
        "fr": "Solde insuffisant : il manque {missing} crédit(s).",
        "en": "Not enough credits: {missing} missing.",
    },
    "campaigns.confirm": {
        "fr": "Envoyer à {count} destinataire(s)",
        "en": "Send to {count} recipient(s)",
    },
    "campaigns.rejected_lines": {"fr": "Lignes refusées", "en": "Refused lines"},
    "campaigns.line": {"fr": "Ligne", "en": "Line"},
    "campaigns.number": {"fr": "Numéro", "en": "Number"},
    "campaigns.reason": {"fr": "Raison", "en": "Reason"},
    "campaigns.reason.invalid_number": {
        "fr": "pas un mobile de France métropolitaine",
        "en": "not a French metropolitan mobile",
    },
    "campaigns.reason.duplicate": {"fr": "en double", "en": "duplicate"},
    "campaigns.reason.blacklisted": {"fr": "a répondu STOP", "en": "replied STOP"},
    "campaigns.reason.missing_field": {"fr": "champ vide", "en": "empty field"},
    "campaigns.reason.url": {"fr": "contiendrait une URL", "en": "would contain a URL"},
    "campaigns.reason.too_long": {"fr": "trop long", "en": "too long"},
    "campaigns.accepted": {
        "fr": "Campagne n° {id} acceptée : {count} destinataire(s).",
        "en": "Campaign #{id} accepted: {count} recipient(s).",
    },
    "campaigns.expired": {
        "fr": "Cette vérification a expiré : recommencez.",
        "en": "This check has expired: start again.",
    },
    "campaigns.cancelled": {
        "fr": "Campagne annulée ; {refunded} crédit(s) remboursé(s).",
        "en": "Campaign cancelled; {refunded} credit(s) refunded.",
    },
    "campaigns.list": {"fr": "Campagnes récentes", "en": "Recent campaigns"},
    "campaigns.state": {"fr": "État", "en": "State"},
    "campaigns.state.scheduled": {"fr": "programmée", "en": "scheduled"},
    "campaigns.state.sending": {"fr": "en cours d'envoi", "en": "sending"},
    "campaigns.state.done": {"fr": "terminée", "en": "done"},
    "campaigns.state.cancelled": {"fr": "annulée", "en": "cancelled"},
    "campaigns.one": {"fr": "Campagne « {name} »", "en": "Campaign “{name}”"},
    "campaigns.refresh": {"fr": "Actualiser", "en": "Refresh"},
    "campaigns.count.queued": {"fr": "En attente", "en": "Queued"},
    "campaigns.count.sent": {"fr": "Envoyés", "en": "Sent"},
    "campaigns.count.failed": {"fr": "Échoués", "en": "Failed"},
    "campaigns.count.delivered": {"fr": "Remis", "en": "Delivered"},
    "campaigns.count.replied": {"fr": "Ont répondu", "en": "Replied"},
    "campaigns.count.cancelled": {"fr": "Annulés", "en": "Cancelled"},
    "campaigns.count.stopped": {"fr": "STOP avant l'envoi", "en": "STOP before sending"},
    "campaigns.reply_rate": {"fr": "Taux de réponse", "en": "Reply rate"},
    "campaigns.credits": {"fr": "Crédits", "en": "Credits"},
    "campaigns.credits_value": {
        "fr": "{credits} réservé(s), {refunded} remboursé(s)",
        "en": "{credits} reserved, {refunded} refunded",
    },
    "campaigns.rejected": {"fr": "Lignes refusées", "en": "Refused lines"},
    "campaigns.first_words": {"fr": "Réponses par premier mot", "en": "Replies by first word"},
    "campaigns.word": {"fr": "Premier mot", "en": "First word"},
    "campaigns.replies": {"fr": "Réponses", "en": "Replies"},
    "campaigns.other": {"fr": "autres", "en": "other"},
    "campaigns.no_replies": {"fr": "Pas encore de réponse.", "en": "No reply yet."},
    "campaigns.chart_title": {
        "fr": "Envois et réponses dans le temps",
        "en": "Sends and replies over time",
    },
    "campaigns.chart_empty": {"fr": "Rien d'envoyé pour l'instant.", "en": "Nothing sent yet."},
    "campaigns.chart_bucket": {"fr": "une barre = {minutes} min", "en": "one bar = {minutes} min"},
    "campaigns.export": {"fr": "Exporter en CSV", "en": "Export as CSV"},
    "campaigns.cancel": {"fr": "Annuler la campagne", "en": "Cancel the campaign"},
}
