"""Campaigns' SQL: accept a campaign line by line, hand recipients over one at a time,
pace sends across processes, cancel and refund, and read counts, timelines and exports.

A campaign's recipients are rows of ``campaign_recipients``: ``pending`` until a step of
the work engine hands one over (its conversation and SMS created in the same transaction,
so a recipient is handed over exactly once), or ``cancelled``. Lines refused at accept
time are rows of ``campaign_rejections``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from ..accounts.ledger_reasons import reason
from .connection import Connection, NotFound
from .staging import RECIPIENT_COLUMNS, REJECTION_COLUMNS, Staging

_COUNTS = """SELECT
    COUNT(*) AS recipients,
    COALESCE(SUM(CASE WHEN r.status = 'pending' THEN 1 ELSE 0 END), 0) AS waiting,
    COALESCE(SUM(CASE WHEN r.status = 'cancelled' OR o.status = 'cancelled' THEN 1 ELSE 0 END),
             0) AS cancelled,
    COALESCE(SUM(CASE WHEN r.status = 'stopped' THEN 1 ELSE 0 END), 0) AS stopped,
    COALESCE(SUM(CASE WHEN o.status IN ('queued', 'sending') THEN 1 ELSE 0 END), 0) AS in_queue,
    COALESCE(SUM(CASE WHEN o.status = 'sent' THEN 1 ELSE 0 END), 0) AS sent,
    COALESCE(SUM(CASE WHEN o.status IN ('failed', 'no_credit') THEN 1 ELSE 0 END), 0) AS failed,
    COALESCE(SUM(CASE WHEN o.delivery_status = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered,
    COALESCE(SUM(CASE WHEN c.reply_count > 0 THEN 1 ELSE 0 END), 0) AS replied,
    CAST(COALESCE(SUM(c.reply_count), 0) AS BIGINT) AS replies,
    COALESCE(SUM(CASE WHEN b.added_at >= c.created_at THEN 1 ELSE 0 END), 0) AS stopped_after
FROM campaign_recipients r
LEFT JOIN conversations c ON c.id = r.conversation_id
LEFT JOIN outgoing o ON o.id = c.outgoing_id
LEFT JOIN blacklist b ON b.number = r.recipient
WHERE r.campaign_id = ?"""
# Each recipient with its SMS, first reply, and when it replied STOP after it was sent
# (by any way: a STOP reaches the blacklist even when it matches no conversation).
_RECIPIENT_ROWS = (
    "SELECT r.line, r.recipient, r.status AS recipient_status, r.credits, "
    "r.conversation_id, c.shortcode, c.reply_count, o.status AS sms_status, o.sent_at, "
    "o.delivery_status, o.error, "
    "(SELECT p.message FROM replies p WHERE p.conversation_id = r.conversation_id "
    "AND p.status <> 'rejected' ORDER BY p.id LIMIT 1) AS first_reply, "
    "(SELECT p.received_at FROM replies p WHERE p.conversation_id = r.conversation_id "
    "AND p.status <> 'rejected' ORDER BY p.id LIMIT 1) AS first_reply_at, "
    "CASE WHEN b.added_at >= c.created_at THEN b.added_at END AS stopped_at "
    "FROM campaign_recipients r LEFT JOIN conversations c ON c.id = r.conversation_id "
    "LEFT JOIN outgoing o ON o.id = c.outgoing_id "
    "LEFT JOIN blacklist b ON b.number = r.recipient WHERE r.campaign_id = ? "
    "ORDER BY r.line"
)
_REJECTIONS = (
    "SELECT line, recipient, reason, detail FROM campaign_rejections "
    "WHERE campaign_id = ? ORDER BY line"
)


class CampaignQueries(Connection):
    # -- accepting ------------------------------------------------------------------------

    def record_campaign(self, row: dict) -> int:
        return self.insert("campaigns", row)

    def record_campaign_once(self, row: dict) -> int | None:
        """Insert the campaign unless one holds its ``request_key`` (a confirm token, an
        Idempotency-Key): its id, or None. Two at once: the second waits, then inserts
        nothing (the unique index)."""
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        inserted = self.query_one(
            f"INSERT INTO campaigns ({columns}) VALUES ({marks}) "
            "ON CONFLICT (request_key) DO NOTHING RETURNING id",
            tuple(row.values()),
        )
        return None if inserted is None else inserted["id"]

    def campaign_for_request(self, request_key: str) -> int | None:
        """The id of the campaign a confirm token or Idempotency-Key made, if any."""
        row = self.query_one("SELECT id FROM campaigns WHERE request_key = ?", (request_key,))
        return None if row is None else row["id"]

    def add_campaign_lines(self, campaign_id: int, staging: Staging) -> None:
        """Copy a campaign's checked lines in (inside the caller's short transaction)."""
        self._insert_rows(
            "campaign_recipients",
            ("campaign_id", "status", *RECIPIENT_COLUMNS),
            ((campaign_id, "pending", *row.values()) for row in staging.recipients()),
        )
        self._insert_rows(
            "campaign_rejections",
            ("campaign_id", *REJECTION_COLUMNS),
            ((campaign_id, *row.values()) for row in staging.rejections()),
        )

    def _insert_rows(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        """Many rows, 100 per statement (multi-row VALUES: SQLite and PostgreSQL alike)."""
        mark = "(" + ", ".join("?" for _ in columns) + ")"
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        rows = iter(rows)
        while chunk := list(itertools.islice(rows, 100)):
            values = [value for row in chunk for value in row]
            self.db.execute(head + ", ".join([mark] * len(chunk)), values)

    # -- sending ---------------------------------------------------------------------------

    def pending_recipients(self, campaign_id: int, limit: int) -> list[dict]:
        return self.query(
            "SELECT * FROM campaign_recipients WHERE campaign_id = ? AND status = 'pending' "
            "ORDER BY id LIMIT ?",
            (campaign_id, limit),
        )

    def unsent_sms(self) -> int:
        """SMS waiting to be handed to the provider, all kinds (read from a partial index)."""
        return self.db.execute(
            "SELECT count(*) FROM outgoing WHERE status IN ('queued', 'sending')"
        ).fetchone()[0]

    def reserve_send_slots(self, count: int, interval: float, now: float) -> float:
        """Reserve ``count`` send slots ``interval`` seconds apart; when the first is.

        One row for the whole account: whichever process or campaign sends, the slots
        never overlap, so ``sms.rate_per_second`` holds for all campaigns together.
        """
        with self.write():
            cursor = self.db.execute(
                "UPDATE campaign_pace SET next_slot = "
                "(CASE WHEN next_slot > ? THEN next_slot ELSE ? END) + ? WHERE id = 1 "
                "RETURNING next_slot",
                (now, now, count * interval),
            )
            return cursor.fetchone()[0] - count * interval

    def hand_over_recipient(self, recipient_id: int, conversation_id: int) -> bool:
        """Mark a pending recipient as sent to its conversation; False if it was not pending
        (then the caller's transaction must roll back)."""
        cursor = self.db.execute(
            "UPDATE campaign_recipients SET status = 'handed', conversation_id = ? "
            "WHERE id = ? AND status = 'pending'",
            (conversation_id, recipient_id),
        )
        return cursor.rowcount == 1

    def skip_stopped_recipient(self, recipient: dict, at: str, campaign_id: int) -> None:
        """A recipient who replied STOP after the campaign was accepted: not sent, refunded."""
        cursor = self.db.execute(
            "UPDATE campaign_recipients SET status = 'stopped' WHERE id = ? AND status = 'pending'",
            (recipient["id"],),
        )
        if cursor.rowcount == 1:
            self.db.execute(
                "UPDATE campaigns SET refunded = refunded + ? WHERE id = ?",
                (recipient["credits"], campaign_id),
            )
            self.change_credits(
                recipient["credits"], at, reason("campaign_stop", campaign=campaign_id)
            )

    def cancel_campaign(self, campaign_id: int, at: str) -> int:
        """Cancel what is not sent yet and refund it; return the credits refunded. Raises
        ``NotFound``, or ``ValueError`` when the campaign is already done or cancelled.

        Each step names the state it leaves, so a recipient handed over, or an SMS claimed
        for sending, at the same moment is either cancelled here or sent there, never both.
        Rows are taken in the order every writer takes them: recipients, the campaign, SMS,
        the balance last."""
        with self.write():
            cancelled = self.db.execute(
                "UPDATE campaign_recipients SET status = 'cancelled' "
                "WHERE campaign_id = ? AND status = 'pending' RETURNING credits",
                (campaign_id,),
            )
            unsent = sum(row[0] for row in cancelled.fetchall())
            if not self.end_unfinished("campaign", campaign_id, "cancelled", cancelled_at=at):
                campaign = self.get_campaign(campaign_id)  # NotFound, else done or cancelled
                raise ValueError(f"campaign #{campaign_id} is already {campaign['status']}")
            # SMS queued but never tried yet (nobody holds them) are withdrawn too; one
            # claimed for sending is let go (it is sent, or failed and refunded as any SMS).
            withdrawn = self.db.execute(
                "UPDATE outgoing SET status = 'cancelled', error = 'cancelled' "
                "WHERE status = 'queued' AND attempts = 0 AND claim IS NULL "
                "AND conversation_id IN (SELECT conversation_id FROM campaign_recipients "
                "WHERE campaign_id = ? AND conversation_id IS NOT NULL) RETURNING credits",
                (campaign_id,),
            )
            refund = unsent + sum(row[0] for row in withdrawn.fetchall())
            self.db.execute(
                "UPDATE campaigns SET refunded = refunded + ? WHERE id = ?", (refund, campaign_id)
            )
            if refund:
                self.change_credits(refund, at, reason("campaign_cancelled", campaign=campaign_id))
            return refund

    # -- reading ------------------------------------------------------------------------------

    def list_campaigns(self, limit: int, offset: int = 0) -> list[dict]:
        return self.query(
            "SELECT * FROM campaigns ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )

    def campaign_counts(self, campaign_id: int) -> dict:
        return self._one(_COUNTS, (campaign_id,), f"campaign #{campaign_id}")

    def campaign_rejections(self, campaign_id: int, limit: int, offset: int = 0) -> list[dict]:
        return self.query(_REJECTIONS + " LIMIT ? OFFSET ?", (campaign_id, limit, offset))

    def campaign_recipient_rows(self, campaign_id: int, limit: int, offset: int) -> list[dict]:
        """A page of the export's recipient rows, by line."""
        return self.query(_RECIPIENT_ROWS + " LIMIT ? OFFSET ?", (campaign_id, limit, offset))

    def campaign_cancellable(self, campaign_id: int) -> dict:
        """What cancelling now would stop and refund: the recipients not handed over and
        the SMS queued but never tried (as ``cancel_campaign`` counts them)."""
        return self._one(
            "SELECT COUNT(*) AS recipients, CAST(COALESCE(SUM(credits), 0) AS BIGINT) AS credits "
            "FROM (SELECT credits FROM campaign_recipients WHERE campaign_id = ? "
            "AND status = 'pending' UNION ALL SELECT o.credits FROM outgoing o "
            "JOIN campaign_recipients r ON r.conversation_id = o.conversation_id "
            "WHERE r.campaign_id = ? AND o.status = 'queued' AND o.attempts = 0 "
            "AND o.claim IS NULL) unsent",
            (campaign_id, campaign_id),
        )

    def campaign_send_times(self, campaign_id: int) -> Iterator[str]:
        """When each of the campaign's SMS was sent (ISO text), in no order."""
        yield from self._column(
            "SELECT o.sent_at FROM campaign_recipients r JOIN conversations c "
            "ON c.id = r.conversation_id JOIN outgoing o ON o.id = c.outgoing_id "
            "WHERE r.campaign_id = ? AND o.sent_at IS NOT NULL",
            (campaign_id,),
        )

    def campaign_replies(self, campaign_id: int) -> Iterator[tuple[str, str]]:
        """(received_at, message) of the accepted replies to the campaign's conversations."""
        cursor = self.db.execute(
            "SELECT p.received_at, p.message FROM campaign_recipients r "
            "JOIN replies p ON p.conversation_id = r.conversation_id "
            "WHERE r.campaign_id = ? AND p.status <> 'rejected'",
            (campaign_id,),
        )
        while rows := cursor.fetchmany(1000):
            yield from rows

    def campaign_export_rows(self, campaign_id: int) -> Iterator[dict]:
        """Every recipient with its SMS and replies, then every rejected line, by line."""
        yield from self._dicts(self.db.execute(_RECIPIENT_ROWS, (campaign_id,)))
        yield from self._dicts(self.db.execute(_REJECTIONS, (campaign_id,)))

    def get_campaign(self, campaign_id: int) -> dict:
        try:
            return self.get("campaigns", campaign_id)
        except NotFound:
            raise NotFound(f"campaign #{campaign_id} not found") from None

    def _column(self, sql: str, params: tuple) -> Iterator:
        cursor = self.db.execute(sql, params)
        while rows := cursor.fetchmany(1000):
            yield from (row[0] for row in rows)

    def _dicts(self, cursor) -> Iterator[dict]:
        names = [column[0] for column in cursor.description]
        while rows := cursor.fetchmany(1000):
            yield from (dict(zip(names, row, strict=True)) for row in rows)
