"""What an operator's gauges read from the database at scrape time (``monitoring/metrics.py``):
the backlog of due work per kind, campaign recipients by state, and whether the schema is
behind the code (``/api/ready``). Reads only, each one query on an indexed column.
"""

from __future__ import annotations

from .connection import Connection
from .migrations import migrations
from .work import KINDS

# When a job became due: a reply when it was received; other jobs at their next attempt
# (0 until first retried: then when they were created). ISO text or epoch seconds.
_SINCE = {"reply": ("received_at", None), "sms": ("created_at", "next_attempt_at")}
_SINCE |= {"email": _SINCE["sms"], "campaign": _SINCE["sms"]}


_RECIPIENT_STATES = """SELECT CASE
    WHEN r.status = 'pending' THEN 'queued'
    WHEN r.status = 'cancelled' OR o.status = 'cancelled' THEN 'cancelled'
    WHEN r.status = 'stopped' THEN 'stopped'
    WHEN o.status IN ('queued', 'sending') THEN 'queued'
    WHEN o.status = 'sent' THEN 'sent'
    WHEN o.status IN ('failed', 'no_credit') THEN 'failed'
    ELSE 'other' END AS recipient_state, COUNT(*)
FROM campaign_recipients r
LEFT JOIN conversations c ON c.id = r.conversation_id
LEFT JOIN outgoing o ON o.id = c.outgoing_id
GROUP BY recipient_state"""


class GaugeQueries(Connection):
    def due_backlog(self, kind: str, now: float) -> tuple[int, str | None, float]:
        """(how many ``kind`` jobs are due at ``now``, the oldest's creation time as ISO
        text, its next attempt in epoch seconds: 0.0 when it was never retried)."""
        spec = KINDS[kind]
        created, next_attempt = _SINCE[kind]
        due = (now,) * spec.due.count("?")
        count = self.db.execute(f"SELECT COUNT(*) FROM {spec.table} WHERE {spec.due}", due)
        total = count.fetchone()[0]
        if not total:
            return 0, None, 0.0
        oldest = self.db.execute(
            f"SELECT {created}, {next_attempt or '0.0'} FROM {spec.table} WHERE {spec.due} "
            "ORDER BY id LIMIT 1",
            due,
        ).fetchone()
        return total, (oldest[0] if oldest else None), float(oldest[1] or 0) if oldest else 0.0

    def recipients_by_state(self) -> dict[str, int]:
        """Recipients of every campaign by state, as a campaign's counts name them
        in the API (``campaigns/report.py``): queued, sent, failed, cancelled, stopped."""
        rows = self.db.execute(_RECIPIENT_STATES).fetchall()
        return {state: count for state, count in rows}

    def pending_migrations(self) -> list[str]:
        """Schema steps this code knows and the database has not applied (empty: current)."""
        applied = migrations.applied(self.backend)
        return [step.__name__ for step in migrations.steps if step.__name__ not in applied]
