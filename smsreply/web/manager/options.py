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
from flask_babel import gettext as _

from ...actions.url import redacted
from ...errors import ValidationError
from .common import form_text, service
from .explain import explain

bp = Blueprint("options", __name__)
ACTIONS = ("none", "text", "cgi", "handler", "url")
VALUE_KEYS = {"text": "text", "cgi": "script", "handler": "handler", "url": "url"}
MEDIA = ("email", "sms")
MAX_ROWS = 50


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
        "smart": "on" if rule.get("smart_encoding") else "",
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
    if row["smart"] and row["action"] != "none":
        rule["smart_encoding"] = True
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
    if action != "none" and request.form.get("smart_encoding") == "on":
        options["smart_encoding"] = True
    rules = rows_from_form(
        "rules", ("match", "pattern", "aliases", "action", "value", "smart", "unsticky", "delete")
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


def place_error(error: ValidationError, form: dict) -> dict:
    """Where to show an error, and what it says in the page's language:
    ``{"field": "text", ...}`` or ``{"section": "rules", "row": 2, ...}``.

    The error's ``location`` (``("rules", 1)``: the second saved rule) is turned into the
    form row it came from, and the message is numbered as the page numbers that row.
    """
    message = explain(error)
    if error.location:
        section = error.location[0]
        index = error.location[1] if len(error.location) > 1 else None
        rows = form.get("row_of", {}).get(section, [])
        row = rows[index] if isinstance(index, int) and index < len(rows) else None
        if row is not None and section == "rules":
            message = _("Rule %(n)s: %(message)s", n=row + 1, message=message)
        elif row is not None:
            message = _("Notification %(n)s: %(message)s", n=row + 1, message=message)
        return {"section": section, "row": row, "message": message}
    known = (
        "action",
        "text",
        "script",
        "handler",
        "url",
        "use_response",
        "follow_redirects",
        "smart_encoding",
    )
    return {"field": error.field if error.field in known else "form", "message": message}


@bp.route("/options", methods=["GET", "POST"])
def edit() -> ResponseReturnValue:
    status = 200
    error: dict | None = None
    if request.method == "POST":
        options, form = options_from_form()
        try:
            service().set_reply_options(options)
        except ValidationError as failure:
            error = place_error(failure, form)
            status = failure.status
        else:
            flash(_("Reply options saved."))
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
