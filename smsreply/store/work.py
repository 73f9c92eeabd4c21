"""The work queue's SQL: claim, renew, finish, retry later, fail — one set of verbs for the
three kinds of queued work (``smsreply/work.py`` drives them).

Each kind is a table whose rows are jobs, with ``attempts``, ``lease_until`` (epoch seconds)
and, for SMS and e-mails, ``next_attempt_at``. Their states, as stored:

============  =====================  ===================  ==============================
kind          to do                  doing (claimed)      done
============  =====================  ===================  ==============================
``reply``     ``pending``            ``pending`` + lease  ``handled``
``sms``       ``queued``             ``sending`` + lease  ``sent``, ``failed``, ``no_credit``
``email``     ``queued``             ``queued`` + lease   ``sent``, ``failed``
``campaign``  ``queued``             ``sending`` + lease  ``sent``, ``cancelled``
============  =====================  ===================  ==============================

A campaign is claimed for one *step* (a paced batch of its recipients, see
``campaigns/sender.py``), then released to do (``release_campaign``) until none is left.

A job is *due* when it is to do (or doing with a lease that ran out: its worker died), and
its ``next_attempt_at`` has come. A claim sets ``lease_until`` and counts an attempt; the
lease's value is the claim's identity: renewing, finishing, retrying and failing all check
it (compare-and-set), so a worker that lost its claim changes nothing.

On SQLite, ``write()`` takes the database's one write lock, so a claim is atomic as it is.
On PostgreSQL claims run beside other transactions (``write(serial=False)``: they need not
the store's global write lock) and two hosts may pick the same due row at once: the claim
re-checks the due condition on the row it updates, and ``_lock_due()`` adds
``FOR UPDATE SKIP LOCKED`` so that each host skips the rows another is claiming. Leases stay
the crash-recovery bound on both.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ledger_reasons import reason
from .connection import Connection


@dataclass(frozen=True)
class Kind:
    table: str
    due: str  # to do, or doing with a lease run out; every "?" is the current time
    doing: str  # the status of a claimed job
    todo: str  # the status a job waits in for its next attempt


_UNHELD = "(lease_until IS NULL OR lease_until < ?)"
KINDS = {
    "reply": Kind("replies", f"status = 'pending' AND {_UNHELD}", "pending", "pending"),
    "sms": Kind(
        "outgoing",
        f"status IN ('queued', 'sending') AND next_attempt_at <= ? AND {_UNHELD}",
        "sending",
        "queued",
    ),
    "email": Kind(
        "notifications",
        f"status = 'queued' AND next_attempt_at <= ? AND {_UNHELD}",
        "queued",
        "queued",
    ),
    "campaign": Kind(
        "campaigns",
        f"status IN ('queued', 'sending') AND next_attempt_at <= ? AND {_UNHELD}",
        "sending",
        "queued",
    ),
}


class WorkQueries(Connection):
    def _lock_due(self) -> str:
        """The dialect hook of claims: SQLite needs nothing (see the module docstring)."""
        return " FOR UPDATE SKIP LOCKED" if self.dialect == "postgresql" else ""

    def _claim_set(self, kind: str, now: float, lease_until: float, provider: str | None):
        sets = ["status = ?", "lease_until = ?", "attempts = attempts + 1"]
        params = [KINDS[kind].doing, lease_until]
        if kind == "sms":  # who took it, and when it was first tried (for resends: retry_of)
            sets += ["provider = ?", "first_attempt_at = COALESCE(first_attempt_at, ?)"]
            params += [provider, now]
        return ", ".join(sets), params

    def due_work(self, kind: str, now: float, limit: int = 100) -> list[int]:
        """Ids of due jobs of ``kind``, oldest first (the sweeper reads before it claims)."""
        spec = KINDS[kind]
        rows = self.db.execute(
            f"SELECT id FROM {spec.table} WHERE {spec.due} ORDER BY id LIMIT ?",
            (*[now] * spec.due.count("?"), limit),
        )
        return [row[0] for row in rows]

    def claim_due(
        self, kind: str, now: float, lease_until: float, limit: int, provider: str | None = None
    ) -> list[dict]:
        """Claim up to ``limit`` due jobs of ``kind`` until ``lease_until``; their rows."""
        spec = KINDS[kind]
        sets, params = self._claim_set(kind, now, lease_until, provider)
        due = [now] * spec.due.count("?")
        with self.write(serial=False):
            cursor = self.db.execute(
                f"UPDATE {spec.table} SET {sets} WHERE id IN (SELECT id FROM {spec.table} "
                f"WHERE {spec.due} ORDER BY id LIMIT ?{self._lock_due()}) AND {spec.due} "
                "RETURNING *",
                (*params, *due, limit, *due),
            )
            return self._rows(cursor)

    def claim_job(
        self, kind: str, job_id: int, now: float, lease_until: float, provider: str | None = None
    ) -> dict | None:
        """Claim one job if it is due; its row, or None when it is not (done, or claimed)."""
        spec = KINDS[kind]
        sets, params = self._claim_set(kind, now, lease_until, provider)
        with self.write(serial=False):
            cursor = self.db.execute(
                f"UPDATE {spec.table} SET {sets} WHERE id = ? AND {spec.due} RETURNING *",
                (*params, job_id, *[now] * spec.due.count("?")),
            )
            rows = self._rows(cursor)
        return rows[0] if rows else None

    def claimed_job(self, kind: str, job_id: int, lease: float) -> dict | None:
        """The job's row if it is still ours (claimed until ``lease``), else None."""
        return self.query_one(
            f"SELECT * FROM {KINDS[kind].table} WHERE id = ? AND lease_until = ? AND status = ?",
            (job_id, lease, KINDS[kind].doing),
        )

    def renew_claim(self, kind: str, job_id: int, lease: float, lease_until: float) -> bool:
        """Push our claim's end to ``lease_until``; False when it is no longer ours."""
        with self.write(serial=False):
            cursor = self.db.execute(
                f"UPDATE {KINDS[kind].table} SET lease_until = ? "
                "WHERE id = ? AND lease_until = ? AND status = ?",
                (lease_until, job_id, lease, KINDS[kind].doing),
            )
            return cursor.rowcount == 1

    def retry_later(self, kind: str, job_id: int, lease: float, error: str, at: float) -> bool:
        """Give the job back, to be tried again from ``at``; False when it was not ours."""
        spec = KINDS[kind]
        with self.write(serial=False):
            cursor = self.db.execute(
                f"UPDATE {spec.table} SET status = ?, error = ?, lease_until = NULL, "
                "next_attempt_at = ? WHERE id = ? AND lease_until = ?",
                (spec.todo, error, at, job_id, lease),
            )
            return cursor.rowcount == 1

    def fail_job(self, kind: str, job_id: int, lease: float, error: str, at: str) -> bool:
        """Mark the job failed for good; a failed SMS's credits are refunded with it."""
        with self.write():
            cursor = self.db.execute(
                f"UPDATE {KINDS[kind].table} SET status = 'failed', error = ?, "
                "lease_until = NULL WHERE id = ? AND lease_until = ?",
                (error, job_id, lease),
            )
            if cursor.rowcount != 1:
                return False
            if kind == "sms":
                row = self.get("outgoing", job_id)
                self.change_credits(
                    row["credits"],
                    at,
                    reason("refund_unsent"),
                    conversation_id=row["conversation_id"],
                    reply_id=row["reply_id"],
                    outgoing_id=job_id,
                )
            return True

    def finish_sms(
        self, outgoing_id: int, provider: str, provider_id: str, sent_at: str, shortcode: str | None
    ) -> None:
        """The provider took the SMS: recorded whoever holds the claim (it was sent)."""
        self.db.execute(
            "UPDATE outgoing SET status = 'sent', provider = ?, provider_id = ?, sent_at = ?, "
            "lease_until = NULL, error = NULL, shortcode = ? WHERE id = ?",
            (provider, provider_id, sent_at, shortcode, outgoing_id),
        )

    def finish_email(self, notification_id: int, sent_at: str) -> None:
        self.db.execute(
            "UPDATE notifications SET status = 'sent', sent_at = ?, lease_until = NULL, "
            "error = NULL WHERE id = ?",
            (sent_at, notification_id),
        )

    def finish_reply(
        self, reply_id: int, lease: float, action: str, outcome: str, result: str, reason: str
    ) -> bool:
        """Record a reply's outcome (``result``: answered, no answer, failed, and why) if
        the claim is still ours; then queue its answer in the same transaction
        (``write()``), so that it is queued exactly once."""
        cursor = self.db.execute(
            "UPDATE replies SET status = 'handled', action = ?, outcome = ?, result = ?, "
            "result_reason = ?, lease_until = NULL "
            "WHERE id = ? AND status = 'pending' AND lease_until = ?",
            (action, outcome, result, reason, reply_id, lease),
        )
        return cursor.rowcount == 1

    def _rows(self, cursor) -> list[dict]:
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
