"""Conversations and replies: the list (search, filter, pages), a thread, the latest replies.

A thread is ``views.conversation_detail``: the message, every reply with what was done
with it (its result — answered, no answer, failed — and the action's ``outcome``, told in
sentences), the answers and their
delivery, the credits spent. Replies that matched no conversation (unmatched, not from a
French mobile) only appear on the replies page, which lists every reply.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from ... import views
from ...results import RESULTS
from .common import PER_PAGE, page_number, service

bp = Blueprint("conversations", __name__)
REPLY_STATUSES = ("pending", "handled", "rejected")


@bp.get("/")
def index() -> ResponseReturnValue:
    search = {
        "number": request.args.get("number", "").strip(),
        "tag": request.args.get("tag", "").strip(),
        "status": request.args.get("status", ""),
    }
    if search["status"] not in ("open", "closed"):
        search["status"] = ""
    page = page_number()
    conversations, total = service().find_conversations(
        search["number"],
        search["tag"],
        search["status"] or None,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    return render_template(
        "manager/conversations.html",
        conversations=conversations,
        failures=service().store.count_replies_by_result().get("failed", 0),
        search=search,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        total=total,
    )


@bp.get("/conversations/<int:conversation_id>")
def thread(conversation_id: int) -> ResponseReturnValue:
    detail = views.conversation_detail(service().store, conversation_id, service().now_iso())
    return render_template("manager/thread.html", conversation=detail)


@bp.get("/replies")
def replies() -> ResponseReturnValue:
    status = request.args.get("status", "")
    if status not in REPLY_STATUSES:
        status = ""
    result = request.args.get("result", "")
    if result not in RESULTS:
        result = ""
    page = page_number()
    rows = service().store.latest_replies(
        PER_PAGE + 1, (page - 1) * PER_PAGE, status or None, result or None
    )
    return render_template(
        "manager/replies.html",
        replies=[
            views.reply_view(row) | {"conversation_id": row["conversation_id"]}
            for row in rows[:PER_PAGE]
        ],
        status=status,
        statuses=REPLY_STATUSES,
        result=result,
        results=RESULTS,
        filters={key: value for key, value in (("status", status), ("result", result)) if value},
        page=page,
        has_next=len(rows) > PER_PAGE,
    )


@bp.get("/replies/<int:reply_id>")
def reply(reply_id: int) -> ResponseReturnValue:
    detail = views.reply_detail(service().store, reply_id)
    row = service().store.get("replies", reply_id)
    return render_template(
        "manager/reply.html", reply=detail, conversation_id=row["conversation_id"]
    )
