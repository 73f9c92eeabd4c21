"""Domain errors said in the page's language, from their ``key`` and ``params``.

The domain raises errors with an English message (what the API and the CLI show), a
stable ``key`` naming the sentence and the ``params`` it needs (``errors.SmsReplyError``;
``InvalidNumber``, ``ActionConfigError``, ``InvalidCallback`` and the store's ``NotFound``
carry the same two). Here each key has its sentence in the catalogue; parameters that are
codes (a number type, a region, an encoding, a date) are put into words first. A key
missing here falls back to the English message (a test checks none is missing).

Example::

    explain(ValidationError("'0123456789' is a landline: …", key="number_not_mobile",
                            params={"number": "0123456789", "type": "FIXED_LINE"}))
    # « 0123456789 » est une ligne fixe : les réponses ne viennent que de mobiles français.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .dates import local_text
from .labels import label

SENTENCES = {
    # generic, by the error's class code
    "error": _l("The request was refused."),
    "invalid": _l("This value is not accepted."),
    "not_found": _l("Not found."),
    "conflict": _l("This cannot be done now: the campaign is already sent or cancelled."),
    "insufficient_credits": _l(
        "Not enough credits: this needs %(needed)s, the balance is %(balance)s."
    ),
    # phone numbers
    "number_empty": _l("Enter a phone number."),
    "number_unreadable": _l("“%(number)s” is not a phone number."),
    "number_invalid": _l("“%(number)s” is not a valid phone number."),
    "number_foreign": _l(
        "“%(number)s” is not French (%(region)s): replies only work from French mobiles."
    ),
    "number_not_mobile": _l("“%(number)s” is %(type)s: replies only work from French mobiles."),
    "number_not_international": _l(
        "“%(number)s” is not a number in international format (+33…, +44…)."
    ),
    "blacklisted": _l(
        "%(number)s replied STOP on %(since)s: it is on the blacklist (remove it there first)."
    ),
    "not_blacklisted": _l("%(number)s is not on the blacklist."),
    "no_free_shortcode": _l("No short code is free for this recipient."),
    # texts
    "required": _l("This field is required."),
    "too_long": _l("At most %(max)s characters."),
    "text_url": _l("The text contains a URL (%(url)s): short codes cannot send URLs."),
    "text_too_long": _l("The text needs %(parts)s SMS (%(encoding)s); the most is %(max)s."),
    "tag_invalid": _l("The tag must be printable text of at most %(max)s characters."),
    "amount_invalid": _l("Enter a positive whole number."),
    "amount_too_big": _l("At most %(max)s credits at once."),
    # reply options
    "options_not_object": _l("The reply options are not readable."),
    "action_not_object": _l("The action is not readable."),
    "action_invalid": _l("This action cannot work."),
    "action_unknown": _l("Unknown action “%(name)s”."),
    "unknown_options": _l("Unknown option(s) for this action: %(names)s."),
    "url_scheme": _l("The address must start with http:// or https://."),
    "not_boolean": _l("Tick or untick the box."),
    "script_not_found": _l("The script “%(script)s” is not in cgi-bin/."),
    "script_not_allowed": _l(
        "The script “%(script)s” cannot be run: it must be an executable file of cgi-bin/."
    ),
    "handler_outside": _l("The module “%(handler)s” must be a file inside handlers/."),
    "handler_missing": _l("The module “%(handler)s” is not a .py file of handlers/."),
    "handler_broken": _l("The module “%(handler)s” fails to load: %(problem)s"),
    "handler_no_entry": _l(
        "The module “%(handler)s” defines neither application(environ, start_response) "
        "nor handle(reply)."
    ),
    "too_many": _l("At most %(max)s entries."),
    "rule_not_object": _l("This rule is not readable."),
    "rule_keyword_or_regex": _l("Give either a keyword or a regular expression."),
    "rule_aliases_with_regex": _l("Aliases go with a keyword, not a regular expression."),
    "rule_regex_length": _l("The regular expression must be 1 to %(max)s characters."),
    "rule_regex_invalid": _l("Invalid regular expression (%(problem)s)."),
    "rule_regex_unbounded": _l(
        "This regular expression can take exponential time on some replies (a repetition "
        "inside a repetition, such as (a|aa)+): rewrite it so each character can match "
        "only one way."
    ),
    "rule_aliases_list": _l("The aliases must be a list of words."),
    "rule_keyword_word": _l("The keyword “%(word)s” must be one word of letters or digits."),
    "notification_keys": _l("Give the medium, the sender and the target."),
    "notification_not_strings": _l("The medium, the sender and the target must be text."),
    "not_email": _l("“%(address)s” is not an e-mail address."),
    "sms_sender_invalid": _l("An SMS sender is 1 to 11 letters or digits, or a number."),
    "media_unknown": _l("The medium must be e-mail or SMS."),
    # lookups and the callback the test console posts to
    "row_not_found": _l("%(what)s does not exist."),
    "callback_invalid": _l("The reply's fields are not acceptable."),
    "not_text": _l("This field must be text."),
    "nul": _l("This field contains a NUL character."),
    "not_digits": _l("Digits only."),
    # campaigns
    "send_at_past": _l("This time is past: leave the field empty to send now."),
    "send_at_far": _l("This time is more than %(years)s years ahead."),
    "csv_nul": _l(
        "Line %(line)s of the file contains a NUL character: is it UTF-16? Save it as CSV UTF-8."
    ),
}

NUMBER_TYPES = {
    "FIXED_LINE": _l("a landline"),
    "TOLL_FREE": _l("a toll-free number"),
    "PREMIUM_RATE": _l("a premium-rate number"),
    "SHARED_COST": _l("a shared-cost number"),
    "VOIP": _l("a VoIP number"),
    "UAN": _l("a company number"),
    "VOICEMAIL": _l("a voicemail number"),
}


def _what(table: object, row_id: object) -> str:
    if table == "conversations":
        return _("Conversation #%(id)s", id=row_id)
    if table == "replies":
        return _("Reply #%(id)s", id=row_id)
    return f"{table} #{row_id}"


def _words(params: dict) -> dict:
    """Codes among the parameters, put into words of the page's language."""
    words = dict(params)
    if "type" in words:
        words["type"] = str(NUMBER_TYPES.get(str(words["type"]), _("not a mobile number")))
    if "region" in words:
        region = str(words["region"])
        words["region"] = get_locale().territories.get(region, region) if region else _("abroad")
    if "encoding" in words:
        words["encoding"] = label("encoding", str(words["encoding"]))
    if "since" in words:
        words["since"] = _since(str(words["since"]))
    if "table" in words:
        words["what"] = _what(words["table"], words.get("id"))
    return words


def _since(value: str) -> str:
    try:
        return local_text(datetime.fromisoformat(value))
    except ValueError:
        return value


def explain(error: Exception) -> str:
    """``error`` in the page's language (its English message when its key is unknown)."""
    key = getattr(error, "key", None)
    sentence = SENTENCES.get(key or "")
    fallback = getattr(error, "message", None) or str(error)
    if sentence is None:
        return fallback
    try:
        return str(sentence) % _words(getattr(error, "params", {}))
    except (KeyError, TypeError, ValueError):  # a parameter missing: say it in English
        return fallback
