"""Schema step 010: campaign status done."""

from __future__ import annotations

from ..schema import Schema


def m010_campaign_status_done(db: Schema) -> None:
    # One name everywhere: a campaign whose recipients were all handed over is "done", as
    # the API, the CLI and the manager call it (it was stored as "sent", like an SMS).
    db.execute("UPDATE campaigns SET status = 'done' WHERE status = 'sent'")
