"""The work queue's SQL: claim, renew, finish, retry later, fail — one set of verbs for the
three kinds of queued work (``smsreply/engine/work.py`` drives them).

Each kind is a table whose rows are jobs, with ``attempts``, ``lease_until`` (epoch seconds)
and, for SMS and e-mails, ``next_attempt_at``. Their states, as stored:

============  =====================  ===================  ==============================
kind          to do                  doing (claimed)      done
============  =====================  ===================  ==============================
``reply``     ``pending``            ``pending`` + lease  ``handled``
``sms``       ``queued``             ``sending`` + lease  ``sent``, ``failed``, ``no_credit``
``email``     ``queued``             ``queued`` + lease   ``sent``, ``failed``
``campaign``  ``queued``             ``sending`` + lease  ``done``, ``cancelled``
============  =====================  ===================  ==============================

A campaign is claimed for one *step* (a paced batch of its recipients, see
``campaigns/sender.py``), then released to do (``release_campaign``) until none is left.

A job is *due* when it is to do (or doing with a lease that ran out: its worker died), and
its ``next_attempt_at`` has come. A claim writes its ``claim`` token (minted by the engine,
``heartbeat.mint``), sets ``lease_until`` and counts an attempt. Every later change names
the state it leaves and the claim it needs (``WHERE status = 'sending' AND claim = ?``):
renewing, finishing, retrying and failing are compare-and-set on the token, so a worker
that lost its claim, or a job cancelled meanwhile, changes nothing.

Claims run beside other transactions on PostgreSQL: two hosts may pick the same due row at
once, so the claim re-checks the due condition on the row it updates (PostgreSQL re-reads a
row another transaction changed before updating it), and ``_lock_due()`` adds
``FOR UPDATE SKIP LOCKED`` so that each host skips the rows another is claiming. On SQLite
``write()`` runs alone anyway. Leases stay the crash-recovery bound on both.

Far from the database: a one-statement step runs in ``one_statement()`` (no ``BEGIN``/``COMMIT``
round trips on PostgreSQL). A reply's own verbs — its claim with what handling reads, its
finish with its answer — are in ``reply_jobs.py``, on top of these.

Jobs stored already claimed (a reply by its callback, an SMS by the worker that queued it)
get their claim columns from ``held()``; a job given up before it was tried, from
``unheld()``: the lease columns are written here only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.ledger_reasons import reason
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

    def _claim_set(self, kind: str, lease, provider: str | None):
        sets = ["status = ?", "claim = ?", "lease_until = ?", "attempts = attempts + 1"]
        params = [KINDS[kind].doing, lease.token, lease.until]
        if kind == "sms":  # who took it, and when it was first tried (for resends: retry_of)
            sets += ["provider = ?", "first_attempt_at = COALESCE(first_attempt_at, ?)"]
            params += [provider, lease.since]
        return ", ".join(sets), params

    @staticmethod
    def held(kind: str, lease) -> dict:
        """The columns of a job stored already claimed by ``lease`` (its first attempt)."""
        columns = {
            "status": KINDS[kind].doing,
            "claim": lease.token,
            "lease_until": lease.until,
            "attempts": 1,
        }
        if kind == "sms":
            columns["first_attempt_at"] = lease.since
        return columns

    @staticmethod
    def unheld() -> dict:
        """The columns of a job nobody holds (never tried, or done)."""
        return {"claim": None, "lease_until": None}

    def due_work(self, kind: str, now: float, limit: int = 100) -> list[int]:
        """Ids of due jobs of ``kind``, oldest first (the sweeper reads before it claims)."""
        spec = KINDS[kind]
        rows = self.db.execute(
            f"SELECT id FROM {spec.table} WHERE {spec.due} ORDER BY id LIMIT ?",
            (*[now] * spec.due.count("?"), limit),
        )
        return [row[0] for row in rows]

    def claim_due(self, kind: str, lease, limit: int, provider: str | None = None) -> list[dict]:
        """Claim up to ``limit`` due jobs of ``kind`` with ``lease`` (``heartbeat.Lease``);
        their rows."""
        spec = KINDS[kind]
        sets, params = self._claim_set(kind, lease, provider)
        due = [lease.since] * spec.due.count("?")
        with self.one_statement():
            cursor = self.db.execute(
                f"UPDATE {spec.table} SET {sets} WHERE id IN (SELECT id FROM {spec.table} "
                f"WHERE {spec.due} ORDER BY id LIMIT ?{self._lock_due()}) AND {spec.due} "
                "RETURNING *",
                (*params, *due, limit, *due),
            )
            return self._rows(cursor)

    def claim_job(self, kind: str, job_id: int, lease, provider: str | None = None) -> dict | None:
        """Claim one job if it is due; its row, or None when it is not (done, or claimed)."""
        spec = KINDS[kind]
        sets, params = self._claim_set(kind, lease, provider)
        with self.one_statement():
            cursor = self.db.execute(
                f"UPDATE {spec.table} SET {sets} WHERE id = ? AND {spec.due} RETURNING *",
                (*params, job_id, *[lease.since] * spec.due.count("?")),
            )
            rows = self._rows(cursor)
        return rows[0] if rows else None

    def claimed_job(self, kind: str, job_id: int, token: str) -> dict | None:
        """The job's row if it is still ours (claimed with ``token``), else None."""
        return self.query_one(
            f"SELECT * FROM {KINDS[kind].table} WHERE id = ? AND status = ? AND claim = ?",
            (job_id, KINDS[kind].doing, token),
        )

    def renew_claim(self, kind: str, job_id: int, token: str, lease_until: float) -> bool:
        """Push our claim's end to ``lease_until``; False when it is no longer ours."""
        with self.one_statement():
            cursor = self.db.execute(
                f"UPDATE {KINDS[kind].table} SET lease_until = ? "
                "WHERE id = ? AND status = ? AND claim = ?",
                (lease_until, job_id, KINDS[kind].doing, token),
            )
            return cursor.rowcount == 1

    def retry_later(self, kind: str, job_id: int, token: str, error: str, at: float) -> bool:
        """Give the job back, to be tried again from ``at``; False when it was not ours."""
        spec = KINDS[kind]
        with self.one_statement():
            cursor = self.db.execute(
                f"UPDATE {spec.table} SET status = ?, error = ?, claim = NULL, "
                "lease_until = NULL, next_attempt_at = ? WHERE id = ? AND status = ? AND claim = ?",
                (spec.todo, error, at, job_id, spec.doing, token),
            )
            return cursor.rowcount == 1

    def fail_job(self, kind: str, job_id: int, token: str, error: str, at: str) -> bool:
        """Mark the job failed for good; a failed SMS's credits are refunded with it."""
        spec = KINDS[kind]
        with self.write():
            cursor = self.db.execute(
                f"UPDATE {spec.table} SET status = 'failed', error = ?, claim = NULL, "
                "lease_until = NULL WHERE id = ? AND status = ? AND claim = ? RETURNING *",
                (error, job_id, spec.doing, token),
            )
            rows = self._rows(cursor)
            if not rows:
                return False
            if kind == "sms":  # the balance last: its row is held until the commit
                row = rows[0]
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
        self,
        outgoing_id: int,
        token: str,
        provider: str,
        provider_id: str,
        sent_at: str,
        shortcode: str | None,
    ) -> bool:
        """The provider took the SMS: recorded if our claim (``token``) still holds; False
        when it does not (cancelled meanwhile, or taken over: the claimant records it)."""
        with self.one_statement():  # or the caller's transaction
            cursor = self.db.execute(
                "UPDATE outgoing SET status = 'sent', provider = ?, provider_id = ?, "
                "sent_at = ?, claim = NULL, lease_until = NULL, error = NULL, shortcode = ? "
                "WHERE id = ? AND status = 'sending' AND claim = ?",
                (provider, provider_id, sent_at, shortcode, outgoing_id, token),
            )
            return cursor.rowcount == 1

    def finish_email(self, notification_id: int, token: str, sent_at: str) -> bool:
        with self.one_statement():
            cursor = self.db.execute(
                "UPDATE notifications SET status = 'sent', sent_at = ?, claim = NULL, "
                "lease_until = NULL, error = NULL WHERE id = ? AND status = 'queued' "
                "AND claim = ?",
                (sent_at, notification_id, token),
            )
            return cursor.rowcount == 1

    def release_campaign(self, campaign_id: int, token: str, finished_at: str | None) -> bool:
        """End a campaign's step: to do again at once, or ``done`` when no recipient is
        left; False when the claim was lost or the campaign cancelled meanwhile."""
        status = "done" if finished_at else "queued"
        with self.one_statement():
            cursor = self.db.execute(
                "UPDATE campaigns SET status = ?, finished_at = ?, claim = NULL, "
                "lease_until = NULL WHERE id = ? AND status = 'sending' AND claim = ?",
                (status, finished_at, campaign_id, token),
            )
            return cursor.rowcount == 1

    def end_unfinished(self, kind: str, job_id: int, status: str, **columns: object) -> bool:
        """End a job that is to do or doing (its claim let go) with ``status``, e.g. a
        campaign cancelled; False when it was done already."""
        spec = KINDS[kind]
        sets = "".join(f", {column} = ?" for column in columns)
        cursor = self.db.execute(
            f"UPDATE {spec.table} SET status = ?, claim = NULL, lease_until = NULL{sets} "
            "WHERE id = ? AND status IN (?, ?)",
            (status, *columns.values(), job_id, spec.todo, spec.doing),
        )
        return cursor.rowcount == 1

    def mark_sms_no_credit(self, outgoing_id: int, error: str) -> None:
        """Not sent for want of credit (queued claimed by its caller, never tried)."""
        unsent = {"attempts": 0, "first_attempt_at": None, **self.unheld()}
        self.update("outgoing", outgoing_id, {"status": "no_credit", "error": error} | unsent)

    def _rows(self, cursor) -> list[dict]:
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
