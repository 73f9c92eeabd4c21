"""Credits: the balance, a warning under ``manager.low_balance``, the ledger, a top-up form.

Every SMS sent, reply received and answer queued is a ledger line; the form adds credits
through ``service.add_credits``, whose ``ValidationError`` is shown next to the amount.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext

from ...accounts.ledger_reasons import top_up
from ...errors import ValidationError
from .common import PER_PAGE, form_text, page_number, service, whole_number
from .explain import explain

bp = Blueprint("credits", __name__)


@bp.route("/credits", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    form = {"amount": "", "reason": ""}
    status = 200
    if request.method == "POST":
        form = {"amount": form_text("amount"), "reason": form_text("reason")}
        try:
            # Not a number: pass the text on, so the service's own message is shown.
            amount = whole_number(form["amount"])
            amount = form["amount"] if amount is None else amount
            reason = top_up(form["reason"][:200], user=g.user["username"])
            balance = service().add_credits(amount, reason)
        except ValidationError as error:
            errors[error.field or "amount"] = explain(error)
            status = error.status
        else:
            message = ngettext(
                "%(num)d credit added; new balance: %(balance)s.",
                "%(num)d credits added; new balance: %(balance)s.",
                amount,
                balance=balance,
            )
            flash(message)
            return redirect(url_for("manager.credits.index"))
    page = page_number()
    rows = service().store.ledger(PER_PAGE + 1, (page - 1) * PER_PAGE)
    return render_template(
        "manager/credits.html",
        ledger=rows[:PER_PAGE],
        page=page,
        has_next=len(rows) > PER_PAGE,
        threshold=service().settings["manager.low_balance"],
        provider_balance=service().store.get_option("provider_credits"),
        form=form,
        errors=errors,
    ), status
