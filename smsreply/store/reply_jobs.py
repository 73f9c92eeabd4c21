"""A reply's job, on top of the work queue's verbs (``work.py``): its claim, with what handling
it reads; its finish, with its answer queued.

A worker claims a reply (``claim_reply``), or keeps the claim the callback stored it with
(``claimed_reply``), and reads with it what handling needs: its conversation, the reply
options and the balance — one statement on PostgreSQL. Handling records the outcome with
``finish_reply``, or ``finish_reply_answered`` when there is an answer to queue: on
PostgreSQL the outcome, the answer queued claimed for this worker and the link between them
are one statement, and the answer's row comes back with it, so the worker sends it without
reading it again. Both need the claim still ours; ``finish_reply_answered`` raises
``ClaimLost`` inside the caller's transaction when it is not, so nothing of it is kept.
"""

from __future__ import annotations

import json

from .credit_statement import low_credit_alert
from .errors import ClaimLost, InsufficientCredits
from .work import KINDS, WorkQueries


class ReplyJobQueries(WorkQueries):
    def claimed_reply(self, reply_id: int, token: str) -> tuple[dict, dict] | None:
        """``claimed_job`` for a reply, with what handling it reads (``_with_context``);
        None if not ours."""
        sql = "SELECT * FROM replies WHERE id = ? AND status = 'pending' AND claim = ?"
        return self._with_context(reply_id, sql, (reply_id, token))

    def claim_reply(self, reply_id: int, lease) -> tuple[dict, dict] | None:
        """``claim_job`` for a reply, with what handling it reads (``_with_context``)."""
        spec = KINDS["reply"]
        sets, params = self._claim_set("reply", lease, None)
        due = [lease.since] * spec.due.count("?")
        sql = f"UPDATE replies SET {sets} WHERE id = ? AND {spec.due} RETURNING *"
        with self.one_statement():
            return self._with_context(reply_id, sql, (*params, reply_id, *due))

    def _with_context(self, reply_id: int, sql: str, params: tuple):
        """The reply ``sql`` finds (claimed), with what handling it reads: its
        ``conversation``, the reply ``options`` (None if none saved) and, on PostgreSQL,
        the ``balance`` (read without a lock: whether the commit can make the debits; None
        on SQLite, whose debits are made at once). One statement on PostgreSQL (rows as
        JSON); on SQLite a call each, only once the reply is found."""
        if self.dialect == "postgresql":
            found = self.db.execute(
                f"WITH found AS ({sql}) SELECT (SELECT row_to_json(found) FROM found), "
                "(SELECT row_to_json(c) FROM conversations c WHERE id = "
                "(SELECT conversation_id FROM found)), "
                "(SELECT value FROM options WHERE name = 'reply'), "
                "(SELECT balance FROM account WHERE id = 1)",
                params,
            ).fetchone()
            reply, conversation, saved, balance = found
            if reply is None:
                return None
        else:
            found = self.query(sql, params)
            if not found:
                return None
            reply, balance = found[0], None
            conversation = self.query_one(
                "SELECT * FROM conversations WHERE id = ?", (reply["conversation_id"],)
            )
            option = self.query_one("SELECT value FROM options WHERE name = 'reply'")
            saved = None if option is None else option["value"]
        options = None if saved is None else json.loads(saved)
        return reply, {"conversation": conversation, "options": options, "balance": balance}

    def finish_reply(
        self,
        reply_id: int,
        token: str,
        action: str,
        outcome: str,
        result: str,
        reason: str,
        stored_here: bool = False,
    ) -> bool:
        """Record a reply's outcome (``result``: answered, no answer, failed, and why) if
        the claim is still ours; then queue its answer in the same transaction
        (``write()``), so that it is queued exactly once. ``stored_here``: the reply was
        stored, claimed, by this very transaction (the callback's): no one else can see
        it, so the claim holds and the statement goes with the next (``db.send``)."""
        sql = (
            "UPDATE replies SET status = 'handled', action = ?, outcome = ?, result = ?, "
            "result_reason = ?, claim = NULL, lease_until = NULL "
            "WHERE id = ? AND status = 'pending' AND claim = ?"
        )
        params = (action, outcome, result, reason, reply_id, token)
        if stored_here:
            self.db.send(sql, params)
            return True
        return self.db.execute(sql, params).rowcount == 1

    def finish_reply_answered(
        self,
        reply_id: int,
        token: str,
        action: str,
        outcome: str,
        result: str,
        reason: str,
        answer: dict,
        lease,
    ) -> dict:
        """``finish_reply``, with its answer (``answer``: the outgoing row's columns)
        queued claimed by ``lease`` for this process to send, and linked to the reply; the
        answer's row as queued. One statement on PostgreSQL. Raises ``ClaimLost`` when the
        claim is no longer ours: the caller's ``write()`` then keeps nothing of its
        transaction (on PostgreSQL the statement queued the answer all the same)."""
        row = {"status": "queued", **answer, **self.held("sms", lease)}
        finished = (action, outcome, result, reason)
        if self.dialect == "postgresql":
            columns, marks = ", ".join(row), ", ".join("?" for _ in row)
            queued, done = self.db.execute(
                f"WITH answer AS (INSERT INTO outgoing ({columns}) VALUES ({marks}) RETURNING *), "
                "done AS (UPDATE replies SET status = 'handled', action = ?, outcome = ?, "
                "result = ?, result_reason = ?, claim = NULL, lease_until = NULL, "
                "answer_id = (SELECT id FROM answer) "
                "WHERE id = ? AND status = 'pending' AND claim = ? RETURNING id) "
                "SELECT (SELECT row_to_json(answer) FROM answer), EXISTS (SELECT 1 FROM done)",
                (*row.values(), *finished, reply_id, token),
            ).fetchone()
            if not done:
                raise ClaimLost("reply", reply_id)
            return queued
        if not self.finish_reply(reply_id, token, *finished):
            raise ClaimLost("reply", reply_id)
        queued = self.query(
            f"INSERT INTO outgoing ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)}) "
            "RETURNING *",
            tuple(row.values()),
        )[0]
        self.link_answer(reply_id, queued["id"])
        return queued

    def finish_reply_debited(
        self,
        reply_id: int,
        token: str,
        action: str,
        outcome: str,
        result: str,
        reason: str,
        answer: dict,
        lease,
        at: str,
    ) -> dict:
        """``finish_reply_answered`` and the answer's debit (the ledger verb's: the balance,
        a ledger line, the low-credit e-mail when it crosses), as a transaction of its own:
        one statement on PostgreSQL — no BEGIN, no COMMIT, the balance row held for the
        server's time only. The answer's row as queued. Nothing is done when the claim is no
        longer ours (``ClaimLost``) or the balance cannot cover the answer
        (``InsufficientCredits``)."""
        if self.dialect != "postgresql":
            with self.write():
                queued = self.finish_reply_answered(
                    reply_id, token, action, outcome, result, reason, answer, lease
                )
                self.change_credits(-queued["credits"], at, "answer", reply_id=reply_id,
                                    conversation_id=queued["conversation_id"],
                                    outgoing_id=queued["id"])  # fmt: skip
            return queued
        row = {"status": "queued", **answer, **self.held("sms", lease)}
        credits = row["credits"]
        alerted, alert_params = low_credit_alert(self.low_credit_alert, -credits, at)
        # The claim checked and its row locked first; the balance moved only if it covers
        # the answer; the reply finished and its answer queued only if the balance moved.
        queued, ours, covered = self.db.execute(
            "WITH ours AS (SELECT id FROM replies WHERE id = :reply AND status = 'pending' "
            "AND claim = :token FOR UPDATE), "
            "moved AS (UPDATE account SET balance = balance - :credits WHERE id = 1 "
            "AND balance >= :credits AND EXISTS (SELECT 1 FROM ours) RETURNING balance), "
            "done AS (UPDATE replies SET status = 'handled', action = :action, "
            "outcome = :outcome, result = :result, result_reason = :reason, claim = NULL, "
            "lease_until = NULL, answer_id = nextval(pg_get_serial_sequence('outgoing', 'id')) "
            "WHERE id = (SELECT id FROM ours) AND EXISTS (SELECT 1 FROM moved) "
            "RETURNING answer_id), "
            f"answer AS (INSERT INTO outgoing (id, {', '.join(row)}) "
            f"SELECT answer_id, {', '.join(f':row_{column}' for column in row)} FROM done "
            "RETURNING *), "
            "lines AS (INSERT INTO ledger "
            "(delta, balance, at, reason, conversation_id, reply_id, outgoing_id) "
            "SELECT -:credits::bigint, moved.balance, :at, 'answer', answer.conversation_id, "
            f"answer.reply_id, answer.id FROM moved, answer){alerted} "
            "SELECT (SELECT row_to_json(answer) FROM answer), EXISTS (SELECT 1 FROM ours), "
            "EXISTS (SELECT 1 FROM moved)",
            {"reply": reply_id, "token": token, "credits": credits, "action": action,
             "outcome": outcome, "result": result, "reason": reason, "at": at,
             **{f"row_{column}": value for column, value in row.items()}, **alert_params},
        ).fetchone()  # fmt: skip
        if not ours:
            raise ClaimLost("reply", reply_id)
        if not covered:
            raise InsufficientCredits(credits, self.balance())
        return queued
