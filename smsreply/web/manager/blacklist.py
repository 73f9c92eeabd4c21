"""The blacklist: the numbers that replied STOP, and a button to let one receive again.

A STOP reply puts its sender here (``receiving``) and every later send to it is refused.
The page lists them newest first with the STOP message and its reply; « Retirer » posts
the number to ``service.remove_from_blacklist``, whose ``ValidationError`` or
``NotFound`` is shown above the list.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...errors import ValidationError
from ...store import NotFound
from .common import PER_PAGE, form_text, page_number, service
from .explain import explain

bp = Blueprint("blacklist", __name__)


@bp.route("/blacklist", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        number = form_text("number")
        try:
            service().remove_from_blacklist(number)
        except ValidationError as error:
            errors["form"], status = explain(error), error.status
        except NotFound as error:
            errors["form"], status = explain(error), 404
        else:
            flash(
                _(
                    "%(number)s removed from the blacklist: it can receive messages again.",
                    number=number,
                )
            )
            return redirect(url_for("manager.blacklist.index"))
    page = page_number()
    rows = service().store.list_blacklist(PER_PAGE + 1, (page - 1) * PER_PAGE)
    return render_template(
        "manager/blacklist.html",
        numbers=rows[:PER_PAGE],
        page=page,
        has_next=len(rows) > PER_PAGE,
        errors=errors,
    ), status
