"""What the account holds: the credit balance and its ledger, the blacklist, manager users."""

from __future__ import annotations

import json

from .connection import Connection, InsufficientCredits, NotFound


class AccountQueries(Connection):
    # The low-credit e-mail, (threshold, from, to), set by ``from_settings`` from
    # credits.alert_*; None: no alert.
    low_credit_alert: tuple[int, str, str] | None = None

    # -- credits ---------------------------------------------------------------------------

    def balance(self) -> int:
        return self._one("SELECT balance FROM account WHERE id = 1", what="account")["balance"]

    def change_credits(self, delta: int, at: str, reason: str, **refs: int | None) -> int:
        """The ledger verb: every credit change goes through it. Add (or, negative, debit)
        ``delta`` credits with a ledger line saying when, why and for what (``refs``:
        conversation_id, reply_id, outgoing_id); never below zero (``InsufficientCredits``).
        Return the new balance.

        A conditional update of the one balance row (``balance + delta >= 0``): no read
        first, nothing else locked. That row is held until the transaction commits, so
        callers change credits last in their transaction."""
        line = {"at": at, "reason": reason} | {k: v for k, v in refs.items() if v is not None}
        with self.write():
            balance = self.backend.change_credits(delta, line)
            if balance is None:
                raise InsufficientCredits(-delta, self.balance())
            self._alert_if_crossed(delta, balance, at)  # a crossing: one e-mail queued
            return balance

    @property
    def credits_at_commit(self) -> bool:
        """True on PostgreSQL, where ``change_credits_at_commit`` can wait for the commit."""
        return hasattr(self.backend, "change_credits_at_commit")

    def change_credits_at_commit(
        self, delta: int, at: str, reason: str, **refs: int | None
    ) -> None:
        """Inside ``write()``, on PostgreSQL (``credits_at_commit``): ``change_credits``,
        made by the commit. All of a transaction's changes are one statement sent with its
        COMMIT in one round trip: the balance row every host shares is held for the
        server's time only, not for round trips. When the balance cannot cover them all,
        the end of the ``write()`` block raises ``InsufficientCredits`` and nothing of the
        transaction is kept: only for callers that then do it again the usual way."""
        line = {"at": at, "reason": reason} | {k: v for k, v in refs.items() if v is not None}
        self.backend.change_credits_at_commit(delta, line, self.low_credit_alert)

    def _alert_if_crossed(self, delta: int, balance: int, at: str) -> None:
        """Queue the low-credit e-mail when this change took the balance below the threshold:
        in the change's own transaction, so one change only makes each crossing, on every
        thread and host (the balance goes up again before another crossing)."""
        if self.low_credit_alert is None or delta >= 0:
            return
        below, sender, target = self.low_credit_alert
        if balance < below <= balance - delta:
            about = {"alert": "low_credit", "balance": balance, "below": below}
            self.insert(
                "notifications",
                {"reply_id": None, "media": "email", "sender": sender, "target": target}
                | {"status": "queued", "created_at": at, "about": json.dumps(about)},
            )

    def ledger(self, limit: int, offset: int = 0) -> list[dict]:
        return self.query("SELECT * FROM ledger ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset))

    # -- blacklist (numbers that replied STOP) -------------------------------------------

    def blacklisted(self, number: str) -> dict | None:
        return self.query_one("SELECT * FROM blacklist WHERE number = ?", (number,))

    def blacklisted_among(self, numbers: list[str]) -> set[str]:
        """Which of ``numbers`` replied STOP: one statement for them all."""
        if not numbers:
            return set()
        marks = ", ".join("?" for _ in numbers)
        rows = self.db.execute(f"SELECT number FROM blacklist WHERE number IN ({marks})", numbers)
        return {row[0] for row in rows}

    def add_to_blacklist(self, number: str, at: str, reply_id: int | None, message: str) -> None:
        self.db.execute(
            "INSERT INTO blacklist (number, added_at, reply_id, message) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (number) DO NOTHING",
            (number, at, reply_id, message),
        )

    def remove_from_blacklist(self, number: str) -> None:
        with self.write():
            if self.db.execute("DELETE FROM blacklist WHERE number = ?", (number,)).rowcount != 1:
                raise NotFound(
                    f"{number} is not on the blacklist", "not_blacklisted", number=number
                )

    def list_blacklist(self, limit: int, offset: int = 0) -> list[dict]:
        return self.query(
            "SELECT * FROM blacklist ORDER BY added_at DESC LIMIT ? OFFSET ?", (limit, offset)
        )

    # -- manager users -------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, at: str) -> int:
        cursor = self.db.execute(  # the unique user name decides, on every host
            "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (username) DO NOTHING RETURNING id",
            (username, password_hash, at),
        )
        added = cursor.fetchall()
        if not added:
            raise ValueError(f"user {username!r} already exists")
        return added[0][0]

    def find_user(self, username: str) -> dict | None:
        return self.query_one("SELECT * FROM users WHERE username = ?", (username,))

    def set_user_password(self, username: str, password_hash: str) -> None:
        cursor = self.db.execute(
            "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username)
        )
        if cursor.rowcount != 1:
            raise NotFound(f"user {username!r} not found")

    def list_users(self) -> list[dict]:
        return self.query("SELECT id, username, created_at FROM users ORDER BY id")
