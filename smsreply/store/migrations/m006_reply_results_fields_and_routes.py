"""Schema step 006: reply results fields and routes."""

from __future__ import annotations

from ..schema import Schema


def m006_reply_results_fields_and_routes(db: Schema) -> None:
    # result: answered / no_answer / failed, with result_reason, so failures can be listed;
    # fields: the callback's fields as the provider posted them (OVH's keyword and any
    # field it may add), handed to scripts; route: the rule that routed the conversation,
    # so its next replies go to the same action (sticky rules).
    db.execute("ALTER TABLE replies ADD COLUMN result TEXT")
    db.execute("ALTER TABLE replies ADD COLUMN result_reason TEXT")
    db.execute("ALTER TABLE replies ADD COLUMN fields TEXT")
    db.execute("ALTER TABLE conversations ADD COLUMN route TEXT")
    db.execute("CREATE INDEX replies_result ON replies (result, id)")
