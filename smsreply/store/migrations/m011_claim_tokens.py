"""Schema step 011: claim tokens."""

from __future__ import annotations

from ..schema import Schema


def m011_claim_tokens(db: Schema) -> None:
    # Who holds a job: a random token written when it is claimed (work.py's ``mint``).
    # Finishing, renewing, retrying or failing the job names it, so a worker that lost
    # its claim changes nothing (a lease's float value was the identity before).
    for table in ("replies", "outgoing", "notifications", "campaigns"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN claim TEXT")
