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
        """Add (or, negative, debit) credits with a ledger line; never below zero."""
        with self.write():
            cursor = self.db.execute(
                "UPDATE account SET balance = balance + ? WHERE id = 1 AND balance + ? >= 0",
                (delta, delta),
            )
            balance = self.balance()
            if cursor.rowcount != 1:
                raise InsufficientCredits(-delta, balance)
            self.insert(
                "ledger", {"at": at, "delta": delta, "balance": balance, "reason": reason, **refs}
            )
            self._alert_if_crossed(delta, balance, at)
            return balance

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
        with self.write():
            if self.find_user(username) is not None:
                raise ValueError(f"user {username!r} already exists")
            return self.insert(
                "users", {"username": username, "password_hash": password_hash, "created_at": at}
            )

    def find_user(self, username: str) -> dict | None:
        return self.query_one("SELECT * FROM users WHERE username = ?", (username,))

    def set_user_password(self, username: str, password_hash: str) -> None:
        with self.write():
            user = self.find_user(username)
            if user is None:
                raise NotFound(f"user {username!r} not found")
            self.update("users", user["id"], {"password_hash": password_hash})

    def list_users(self) -> list[dict]:
        return self.query("SELECT id, username, created_at FROM users ORDER BY id")
