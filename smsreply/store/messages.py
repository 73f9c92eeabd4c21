"""What travels: conversations, replies, outgoing SMS, notifications, the simulator's outbox."""

from __future__ import annotations

from .connection import Connection


class MessageQueries(Connection):
    # -- conversations -----------------------------------------------------------------

    def open_shortcodes(self, recipient: str, now: str) -> set[str]:
        rows = self.db.execute(
            "SELECT shortcode FROM conversations WHERE recipient = ? AND expires_at > ?",
            (recipient, now),
        )
        return {row[0] for row in rows}

    def match_by_tag(self, provider_tag: str, sender: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM conversations WHERE provider_tag = ? AND recipient = ? "
            "ORDER BY id DESC LIMIT 1",
            (provider_tag, sender),
        )

    def match_by_shortcode(self, shortcode: str, sender: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM conversations WHERE recipient = ? AND shortcode = ? "
            "ORDER BY expires_at DESC LIMIT 1",
            (sender, shortcode),
        )

    def find_conversations(
        self,
        number: str | None,
        tag: str | None,
        status: str | None,
        now: str,
        limit: int,
        offset: int,
    ) -> tuple[list[dict], int]:
        clauses, params = [], []
        if number:
            clauses.append("recipient = ?")
            params.append(number)
        if tag:
            clauses.append("tag = ?")
            params.append(tag)
        if status == "open":
            clauses.append("expires_at > ?")
            params.append(now)
        elif status == "closed":
            clauses.append("expires_at <= ?")
            params.append(now)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        total = self.db.execute(f"SELECT count(*) FROM conversations{where}", params).fetchone()[0]
        rows = self.query(
            f"SELECT * FROM conversations{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return rows, total

    def rows_for(self, table: str, column: str, value: int) -> list[dict]:
        return self.query(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY id", (value,))

    # -- replies and outgoing SMS --------------------------------------------------------

    def find_reply(self, provider: str, provider_id: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM replies WHERE provider = ? AND provider_id = ?", (provider, provider_id)
        )

    def count_replies(self) -> int:
        return self.db.execute("SELECT count(*) FROM replies").fetchone()[0]

    def due_replies(self, now: float, limit: int = 100) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM replies WHERE status = 'pending' "
            "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?",
            (now, limit),
        )
        return [row[0] for row in rows]

    def due_outgoing(self, now: float, limit: int = 100) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM outgoing WHERE status IN ('queued', 'sending') "
            "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            "ORDER BY id LIMIT ?",
            (now, now, limit),
        )
        return [row[0] for row in rows]

    def set_delivery(
        self, provider: str, provider_id: str, status: str, detail: str, at: str
    ) -> bool:
        with self.write():
            cursor = self.db.execute(
                "UPDATE outgoing SET delivery_status = ?, delivered_at = ?, "
                "error = CASE WHEN ? = 'failed' THEN ? ELSE error END "
                "WHERE provider = ? AND provider_id = ?",
                (
                    status,
                    at if status == "delivered" else None,
                    status,
                    detail or "failed",
                    provider,
                    provider_id,
                ),
            )
            return cursor.rowcount > 0

    def due_notifications(self, now: float, limit: int = 100) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM notifications WHERE status = 'queued' AND next_attempt_at <= ? "
            "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?",
            (now, now, limit),
        )
        return [row[0] for row in rows]

    def list_outbox(self, limit: int, offset: int = 0) -> list[dict]:
        return self.query(
            "SELECT * FROM simulator_outbox ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )

    def record_simulated(self, row: dict) -> None:
        self.db.execute(
            "INSERT INTO simulator_outbox (id, at, recipient, shortcode, message, tag, segments) "
            "VALUES (:id, :at, :recipient, :shortcode, :message, :tag, :segments) "
            "ON CONFLICT (id) DO NOTHING",
            row,
        )

    # -- manager reads (web manager, issue 5; append-only section) -----------------------

    def latest_replies(
        self, limit: int, offset: int = 0, status: str | None = None, result: str | None = None
    ) -> list[dict]:
        """Replies, newest first; only those of ``status`` and/or ``result`` when given."""
        clauses, params = [], []
        for column, value in (("status", status), ("result", result)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self.query(
            f"SELECT * FROM replies {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )

    def count_replies_by_result(self) -> dict[str, int]:
        """How many handled replies were answered, not answered, failed."""
        rows = self.query(
            "SELECT result, count(*) AS n FROM replies WHERE result IS NOT NULL GROUP BY result"
        )
        return {row["result"]: row["n"] for row in rows}
