"""What travels: conversations, replies, outgoing SMS, notifications, the simulator's outbox."""

from __future__ import annotations

import json
from typing import NamedTuple

from .connection import Connection

_COUNT_REPLY = (
    "UPDATE conversations SET reply_count = reply_count + 1, "
    "shortcode = COALESCE(?, shortcode) WHERE id = ?"
)
# ``look_up_reply`` on PostgreSQL: the three lookups in one statement (rows as JSON).
_LOOK_UP_REPLY = (
    "SELECT (SELECT row_to_json(r) FROM replies r WHERE provider = ? AND provider_id = ?), "
    "COALESCE((SELECT row_to_json(c) FROM conversations c WHERE provider_tag = ? "
    "AND recipient = ? ORDER BY id DESC LIMIT 1), (SELECT row_to_json(c) FROM conversations c "
    "WHERE recipient = ? AND shortcode = ? ORDER BY expires_at DESC LIMIT 1)), "
    "EXISTS (SELECT 1 FROM blacklist WHERE number = ?), "
    "(SELECT value FROM options WHERE name = ?)"
)


class ReplyLookup(NamedTuple):
    """``look_up_reply``'s answer."""

    existing: dict | None  # the reply stored already with this provider id
    conversation: dict | None  # the one it answers
    blacklisted: bool  # its sender replied STOP before
    option: object  # the option's value, None when not asked for or not set


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

    def record_conversation(self, row: dict) -> int:
        return self.insert("conversations", row)

    def link_conversation(self, conversation_id: int, provider_tag: str, outgoing_id: int) -> None:
        """Its tag for the provider and its first SMS, known once both rows exist."""
        self.update(
            "conversations",
            conversation_id,
            {"provider_tag": provider_tag, "outgoing_id": outgoing_id},
        )

    def uncount_reply(self, conversation_id: int) -> None:
        """Take back ``record_counted_reply``'s count (its row still held: no number was
        given since)."""
        self.db.execute(
            "UPDATE conversations SET reply_count = reply_count - 1 WHERE id = ?",
            (conversation_id,),
        )

    def learn_shortcode(self, conversation_id: int, shortcode: str) -> None:
        self.update("conversations", conversation_id, {"shortcode": shortcode})

    def set_conversation_state(self, conversation_id: int, state: str | None) -> None:
        self.db.send("UPDATE conversations SET state = ? WHERE id = ?", (state, conversation_id))

    def set_conversation_route(self, conversation_id: int, rule: str) -> None:
        """The rule the conversation's next replies follow (a sticky rule matched)."""
        self.db.send("UPDATE conversations SET route = ? WHERE id = ?", (rule, conversation_id))

    def rows_for(self, table: str, column: str, value: int) -> list[dict]:
        return self.query(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY id", (value,))

    # -- replies and outgoing SMS --------------------------------------------------------

    def find_reply(self, provider: str, provider_id: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM replies WHERE provider = ? AND provider_id = ?", (provider, provider_id)
        )

    def look_up_reply(
        self, provider: str, provider_id: str, tag: str | None, shortcode: str | None,
        sender: str | None, option: str | None = None,
    ) -> ReplyLookup:  # fmt: skip
        """What storing a reply needs to know (``ReplyLookup``): the reply stored already
        with this provider id; its conversation — the newest sent to ``sender`` with
        ``tag``, else the latest to expire from ``shortcode`` (``sender`` None: none looked
        for) —; whether ``sender`` replied STOP before; and the value of ``option`` (the
        reply options, to handle it). One statement on PostgreSQL."""
        tag, shortcode = tag or None, shortcode or None
        if self.dialect == "postgresql":
            params = (provider, provider_id, tag, sender, sender, shortcode, sender, option)
            found = self.db.execute(_LOOK_UP_REPLY, params).fetchone()
            value = None if found[3] is None else json.loads(found[3])
            return ReplyLookup(found[0], found[1], found[2], value)
        value = None if option is None else self.get_option(option)
        existing = self.find_reply(provider, provider_id)
        if existing is not None or sender is None:
            return ReplyLookup(existing, None, False, value)
        conversation = self.match_by_tag(tag, sender) if tag else None
        if conversation is None and shortcode:
            conversation = self.match_by_shortcode(shortcode, sender)
        return ReplyLookup(None, conversation, self.blacklisted(sender) is not None, value)

    def record_reply(self, row: dict) -> dict | None:
        """Store a reply as received (``status``: rejected unless given); the row stored,
        or None when a reply with its (provider, provider id) is stored already (its
        unique key decides, without a lock, however many callbacks race)."""
        row = {"status": "rejected", **row}
        columns, marks = ", ".join(row), ", ".join("?" for _ in row)
        stored = self.query(  # read to the end: SQLite's statement is then done
            f"INSERT INTO replies ({columns}) VALUES ({marks}) "
            "ON CONFLICT (provider, provider_id) DO NOTHING RETURNING *",
            tuple(row.values()),
        )
        return stored[0] if stored else None

    def record_counted_reply(
        self, row: dict, conversation_id: int, shortcode: str | None
    ) -> tuple[dict | None, dict, int]:
        """Count one more accepted reply in its conversation and store it with its number:
        (the reply stored, or None when its provider id is stored already — then take the
        count back, ``uncount_reply`` —; the conversation as counted; the balance as read,
        without a lock). ``shortcode``: the one the provider chose, learnt. The
        conversation's row stays held until the commit, so the replies of one conversation
        are numbered one by one, on every host. One statement on PostgreSQL."""
        learnt = (shortcode or None, conversation_id)
        if self.dialect == "postgresql":
            columns, marks = ", ".join(row), ", ".join("?" for _ in row)
            found = self.db.execute(
                f"WITH counted AS ({_COUNT_REPLY} RETURNING *), stored AS (INSERT INTO replies "
                f"({columns}, reply_number) VALUES ({marks}, (SELECT reply_count FROM counted)) "
                "ON CONFLICT (provider, provider_id) DO NOTHING RETURNING *) "
                "SELECT (SELECT row_to_json(stored) FROM stored), "
                "(SELECT row_to_json(counted) FROM counted), "
                "(SELECT balance FROM account WHERE id = 1)",
                (*learnt, *row.values()),
            ).fetchone()
            return found[0], found[1], found[2]
        counted = self.query(
            f"{_COUNT_REPLY} RETURNING *, (SELECT balance FROM account WHERE id = 1) AS balance",
            learnt,
        )[0]
        balance = counted.pop("balance")
        return self.record_reply({**row, "reply_number": counted["reply_count"]}), counted, balance

    def reject_reply(self, reply_id: int, reason: str) -> None:
        """Reject a reply stored a moment ago in this transaction (not acted on)."""
        rejected = {"status": "rejected", "reason": reason, "credits": 0, "reply_number": None}
        self.update("replies", reply_id, rejected | {"attempts": 0, **self.unheld()})

    def link_answer(self, reply_id: int, outgoing_id: int) -> None:
        self.db.send("UPDATE replies SET answer_id = ? WHERE id = ?", (outgoing_id, reply_id))

    def queue_sms(self, row: dict, lease=None) -> int:
        """Queue one SMS to send; ``lease`` (``heartbeat.Lease``): queued already claimed."""
        row = {"status": "queued", **row}
        if lease is not None:
            row |= self.held("sms", lease)
        return self.insert("outgoing", row)

    def queue_email_notification(self, reply_id: int, note: dict, at: str) -> int:
        return self._notification(reply_id, note, at, "queued")

    def record_sms_notification(self, reply_id: int, note: dict, at: str, outgoing_id: int):
        """An SMS notification: its SMS is in the outgoing queue (``outgoing_id``)."""
        return self._notification(reply_id, note, at, "sms", outgoing_id=outgoing_id)

    def _notification(self, reply_id: int, note: dict, at: str, status: str, **more) -> int:
        row = {key: note[key] for key in ("media", "sender", "target")}
        return self.insert(
            "notifications",
            {"reply_id": reply_id, **row, "status": status, "created_at": at, **more},
        )

    def record_provider_balance(self, provider: str, balance: float, at: str) -> None:
        """The provider's own balance, shown beside ours."""
        self.set_option("provider_credits", {"provider": provider, "balance": balance, "at": at})

    def set_delivery(
        self, provider: str, provider_id: str, status: str, detail: str, at: str
    ) -> bool:
        with self.one_statement():
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
