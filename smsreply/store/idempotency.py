"""Idempotency keys: one API request's effect and answer, kept to be given again.

A key is *reserved* (``status`` NULL) by the first request that brings it, in one
statement that a second request with the same key cannot pass at the same time; the
answer is *kept* when the request ends, or the key *forgotten* when it failed on our
side (5xx), so a retry may run. Rows older than the kept time are purged as new keys
come. Times are epoch seconds (REAL).
"""

from __future__ import annotations

from .connection import Connection


class IdempotencyQueries(Connection):
    def reserve_request(
        self, scope: str, key: str, request_hash: str, now: float, kept_seconds: float
    ) -> dict | None:
        """Reserve ``key`` for this request: None when it is ours, else the row that holds
        it (an answer kept, or a request still running)."""
        with self.write():
            self.db.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?", (now - kept_seconds,)
            )
            cursor = self.db.execute(
                "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING",
                (scope, key, request_hash, now),
            )
            if cursor.rowcount == 1:
                return None
            return self.kept_request(scope, key)

    def kept_request(self, scope: str, key: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?", (scope, key)
        )

    def keep_answer(self, scope: str, key: str, status: int, body: str) -> None:
        with self.write():
            self.db.execute(
                "UPDATE idempotency_keys SET status = ?, body = ? WHERE scope = ? AND key = ?",
                (status, body, scope, key),
            )

    def forget_request(self, scope: str, key: str) -> None:
        with self.write():
            self.db.execute(
                "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL",
                (scope, key),
            )
