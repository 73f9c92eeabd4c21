"""« Options des réponses »: what happens to each reply — the action, keyword rules, notifications.

The form is turned into the flat options dict ``service.set_reply_options`` validates
(``{"action": "cgi", "script": "confirm.sh", "rules": [...], "notifications": [...]}``);
its ``ValidationError`` names a field, shown next to it, and the form comes back as
typed. Rules and notifications are rows: the saved ones plus one blank row to add
another, each with a delete box, so the page works without JavaScript. ``rules`` and
``notifications`` are only sent when there are some.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ...actions.url import redacted
from ...errors import ValidationError
from .common import form_text, service, t

bp = Blueprint("options", __name__)
ACTIONS = ("none", "text", "cgi", "handler", "url")
VALUE_KEYS = {"text": "text", "cgi": "script", "handler": "handler", "url": "url"}
MEDIA = ("email", "sms")
MAX_ROWS = 50
# "rules", "rules[2]", "rules.2.text" in an error's field; "rules[2]: " opening its message.
FIELD = re.compile(r"(rules|notifications)(?:[\[.](\d+)\]?)?(?:\.\w+)?$")
MESSAGE_PREFIX = re.compile(r"(rules|notifications)\[(\d+)\]:")


def cgi_scripts(folder: Path, interpreted: Collection[str] = ()) -> list[str]:
    """Files of ``cgi-bin/`` the CGI action may run: executable ones, and those whose
    extension has an interpreter (``cgi.interpreters``: ``.php`` files need no ``chmod``)."""
    if not folder.is_dir():
        return []
    return sorted(
        path.name
        for path in folder.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and (os.access(path, os.X_OK) or path.suffix.lower() in interpreted)
    )


def handler_modules(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.glob("*.py") if not path.name.startswith("_"))


# -- between saved options and form rows ------------------------------------------------


def rule_row(rule: dict) -> dict:
    action = rule.get("action", "none")
    return {
        "match": "regex" if "regex" in rule else "keyword",
        "pattern": rule.get("regex", rule.get("keyword", "")),
        "aliases": ", ".join(rule.get("aliases", [])),
        "action": action,
        "value": redacted(rule.get("url", ""))
        if action == "url"
        else rule.get(VALUE_KEYS.get(action, ""), ""),
        "unsticky": "" if rule.get("sticky", True) else "on",
    }


def rows_from_form(prefix: str, names: tuple[str, ...]) -> list[dict]:
    indexes = sorted(
        {int(key.split("-")[1]) for key in request.form if re.fullmatch(prefix + r"-\d+-\w+", key)}
    )[:MAX_ROWS]
    return [
        {name: form_text(f"{prefix}-{index}-{name}", strip=name != "value") for name in names}
        for index in indexes
    ]


def rule_from_row(row: dict) -> dict | None:
    if row["delete"] or not row["pattern"]:
        return None
    match = row["match"] if row["match"] in ("keyword", "regex") else "keyword"
    rule: dict = {match: row["pattern"]}
    aliases = [alias.strip() for alias in row["aliases"].split(",") if alias.strip()]
    if aliases and match == "keyword":
        rule["aliases"] = aliases
    if row["unsticky"] == "on":
        rule["sticky"] = False  # sticky is the default: only the exception is saved
    rule["action"] = row["action"]
    if row["action"] in VALUE_KEYS:
        value = row["value"] if row["action"] == "text" else row["value"].strip()
        rule[VALUE_KEYS[row["action"]]] = value
    return rule


def notification_from_row(row: dict) -> dict | None:
    if row["delete"] or not (row["target"] or row["sender"]):
        return None
    return {"media": row["media"], "sender": row["sender"], "target": row["target"]}


def options_from_form() -> tuple[dict, dict]:
    """The options dict, and the form as typed (to show it again on an error)."""
    action = form_text("action")
    options: dict = {"action": action}
    if action in VALUE_KEYS:
        key = VALUE_KEYS[action]
        options[key] = form_text(key, strip=key != "text")
    if action == "url":
        options["use_response"] = request.form.get("use_response") == "on"
        if request.form.get("follow_redirects") == "on":
            options["follow_redirects"] = True
    rules = rows_from_form(
        "rules", ("match", "pattern", "aliases", "action", "value", "unsticky", "delete")
    )
    notes = rows_from_form("notifications", ("media", "sender", "target", "delete"))
    kept_rules = [(i, rule) for i, row in enumerate(rules) if (rule := rule_from_row(row))]
    kept_notes = [(i, note) for i, row in enumerate(notes) if (note := notification_from_row(row))]
    if kept_rules:
        options["rules"] = [rule for _, rule in kept_rules]
    if kept_notes:
        options["notifications"] = [note for _, note in kept_notes]
    restore_passwords(options, service().reply_options())
    form = dict(options, rules=rules, notifications=notes)
    # Which form row each saved entry came from, to point an error at the right row.
    form["row_of"] = {
        "rules": [i for i, _ in kept_rules],
        "notifications": [i for i, _ in kept_notes],
    }
    return options, form


def restore_passwords(options: dict, saved: dict) -> None:
    """The form shows URLs with their password masked (``redacted``); a masked URL sent
    back unchanged means "keep the saved one", password included."""
    saved_urls = [saved.get("url"), *(rule.get("url") for rule in saved.get("rules", []))]
    by_shown = {redacted(url): url for url in saved_urls if url}
    for entry in [options, *options.get("rules", [])]:
        if entry.get("url") in by_shown:
            entry["url"] = by_shown[entry["url"]]


def form_from_options(options: dict) -> dict:
    form = {key: value for key, value in options.items() if key not in ("rules", "notifications")}
    if form.get("url"):
        form["url"] = redacted(form["url"])
    form["rules"] = [rule_row(rule) for rule in options.get("rules", [])]
    form["notifications"] = [dict(note, delete="") for note in options.get("notifications", [])]
    return form


def place_error(field: str | None, message: str, form: dict) -> dict:
    """Where to show an error: ``{"field": "text"}`` or ``{"section": "rules", "row": 2}``.

    The service names a section's entry in the field (``rules[2]``) or, when the field
    is the entry's own key (``text``), in the message's prefix (``rules[2]: ...``).
    """
    match = MESSAGE_PREFIX.match(message) or FIELD.match(field or "")
    if match:
        section, index = match.group(1), match.group(2)
        rows = form.get("row_of", {}).get(section, [])
        row = rows[int(index)] if index is not None and int(index) < len(rows) else None
        return {"section": section, "row": row}
    known = ("action", "text", "script", "handler", "url", "use_response", "follow_redirects")
    return {"field": field if field in known else "form"}


@bp.route("/options", methods=["GET", "POST"])
def edit() -> ResponseReturnValue:
    status = 200
    error: dict | None = None
    if request.method == "POST":
        options, form = options_from_form()
        try:
            service().set_reply_options(options)
        except ValidationError as failure:
            error = dict(place_error(failure.field, failure.message, form), message=failure.message)
            status = failure.status
        else:
            flash(t("options.saved"))
            return redirect(url_for("manager.options.edit"))
    else:
        form = form_from_options(service().reply_options())
    form["rules"].append(rule_row({"action": "text"}))
    form["notifications"].append({"media": "email", "sender": "", "target": "", "delete": ""})
    resources = service().resources
    scripts = cgi_scripts(resources.cgi_dir, resources.cgi_gateway.interpreters)
    handlers = handler_modules(resources.handlers_dir)
    return render_template(
        "manager/options.html",
        form=form,
        error=error,
        errors={error["field"]: error["message"]} if error and "field" in error else {},
        actions=ACTIONS,
        media=MEDIA,
        scripts=sorted(set(scripts) | ({form["script"]} if form.get("script") else set())),
        handlers=sorted(set(handlers) | ({form["handler"]} if form.get("handler") else set())),
        cgi_dir=resources.cgi_dir,
        handlers_dir=resources.handlers_dir,
    ), status
