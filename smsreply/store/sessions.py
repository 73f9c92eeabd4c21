"""Manager sessions and failed-login counters, in the database so every worker and host
shares them: a logout in one process ends the session in all, and a guesser cannot
spread tries over workers to multiply the allowance.

Only a SHA-256 of a session's token is stored: a copy of the database opens no session.
Times are epoch seconds (REAL).
"""

from __future__ import annotations

from .connection import Connection


class SessionQueries(Connection):
    # -- manager sessions ------------------------------------------------------------------

    def open_session(self, token_hash: str, username: str, now: float, expires_at: float) -> int:
        with self.write():
            self.db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            return self.insert(
                "sessions",
                {
                    "token_hash": token_hash,
                    "username": username,
                    "created_at": now,
                    "expires_at": expires_at,
                },
            )

    def find_session(self, token_hash: str, now: float) -> dict | None:
        """The live session with this token hash, or None (unknown, ended or expired)."""
        return self.query_one(
            "SELECT * FROM sessions WHERE token_hash = ? AND expires_at > ?", (token_hash, now)
        )

    def end_session(self, token_hash: str) -> None:
        with self.write():
            self.db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def end_sessions_of(self, username: str) -> int:
        """End every session of ``username`` (a password change); return how many."""
        with self.write():
            return self.db.execute("DELETE FROM sessions WHERE username = ?", (username,)).rowcount

    # -- failed logins -------------------------------------------------------------------------

    def login_blocks(self, keys: tuple[str, ...]) -> list[dict]:
        marks = ", ".join("?" for _ in keys)
        return self.query(f"SELECT * FROM login_failures WHERE key IN ({marks})", keys)

    def count_login_failure(self, key: str, now: float, forget_before: float) -> int:
        """One more failure for ``key`` (counting from 1 again when the last one is older
        than ``forget_before``); return the count."""
        with self.write():
            self.db.execute(
                "DELETE FROM login_failures WHERE last_failure_at < ?", (forget_before,)
            )
            cursor = self.db.execute(  # one statement: the row counts every host's tries
                "INSERT INTO login_failures (key, failures, last_failure_at, blocked_until) "
                "VALUES (?, 1, ?, 0) ON CONFLICT (key) DO UPDATE SET "
                "failures = login_failures.failures + 1, "
                "last_failure_at = excluded.last_failure_at RETURNING failures",
                (key, now),
            )
            return cursor.fetchall()[0][0]

    def block_login(self, key: str, until: float) -> None:
        self.db.execute("UPDATE login_failures SET blocked_until = ? WHERE key = ?", (until, key))

    def clear_login_failures(self, key: str) -> None:
        self.db.execute("DELETE FROM login_failures WHERE key = ?", (key,))
