"""``EXPLAIN QUERY PLAN`` of every query a reply runs, on a database with a long history.

The statements are the store's own (``smsreply/store/``), copied here with sample
parameters; ``check`` fails on a plan that scans a whole table, so a reply cannot slow
down as history grows. ``python -m bench.plans DB`` prints the plans (``docs/performance.md``).

Example::

    python -m bench.plans /tmp/smsreply-bench-…/history-1000000/smsreply.db
"""

from __future__ import annotations

import sqlite3
import sys
import time

NOW = 1e12  # a lease far in the future: every row is "due" for the plan's sake
HOT = {
    "find_reply (duplicate check)": (
        "SELECT * FROM replies WHERE provider = ? AND provider_id = ?",
        ("ovh", "x"),
    ),
    "match_by_tag": (
        "SELECT * FROM conversations WHERE provider_tag = ? AND recipient = ? "
        "ORDER BY id DESC LIMIT 1",
        ("sr1", "+33610000001"),
    ),
    "match_by_shortcode": (
        "SELECT * FROM conversations WHERE recipient = ? AND shortcode = ? "
        "ORDER BY expires_at DESC LIMIT 1",
        ("+33610000001", "30000"),
    ),
    "blacklisted": ("SELECT * FROM blacklist WHERE number = ?", ("+33610000001",)),
    "get reply": ("SELECT * FROM replies WHERE id = ?", (1,)),
    "get conversation": ("SELECT * FROM conversations WHERE id = ?", (1,)),
    "get outgoing": ("SELECT * FROM outgoing WHERE id = ?", (1,)),
    "debit": (
        "UPDATE account SET balance = balance + ? WHERE id = 1 AND balance + ? >= 0",
        (-1, -1),
    ),
    "reply options": ("SELECT value FROM options WHERE name = ?", ("reply",)),
    "callback token": ("SELECT value FROM secrets WHERE name = ?", ("callback_token",)),
    "open short codes (send)": (
        "SELECT shortcode FROM conversations WHERE recipient = ? AND expires_at > ?",
        ("+33610000001", "2026"),
    ),
    "sweeper: due replies": (
        "SELECT id FROM replies WHERE status = 'pending' "
        "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?",
        (NOW, 100),
    ),
    "sweeper: due SMS": (
        "SELECT id FROM outgoing WHERE status IN ('queued', 'sending') "
        "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
        "ORDER BY id LIMIT ?",
        (NOW, NOW, 100),
    ),
    "sweeper: due e-mails": (
        "SELECT id FROM notifications WHERE status = 'queued' AND next_attempt_at <= ? "
        "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?",
        (NOW, NOW, 100),
    ),
    "sweeper: claim due replies": (
        "UPDATE replies SET status = ?, lease_until = ?, attempts = attempts + 1 "
        "WHERE id IN (SELECT id FROM replies WHERE status = 'pending' "
        "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?) "
        "AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?) RETURNING *",
        ("pending", NOW, NOW, 100, NOW),
    ),
    "sweeper: claim due SMS": (
        "UPDATE outgoing SET status = ?, lease_until = ?, attempts = attempts + 1, "
        "provider = ?, first_attempt_at = COALESCE(first_attempt_at, ?) "
        "WHERE id IN (SELECT id FROM outgoing WHERE status IN ('queued', 'sending') "
        "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
        "ORDER BY id LIMIT ?) AND status IN ('queued', 'sending') AND next_attempt_at <= ? "
        "AND (lease_until IS NULL OR lease_until < ?) RETURNING *",
        ("sending", NOW, "http", NOW, NOW, NOW, 100, NOW, NOW),
    ),
    "sweeper: claim due e-mails": (
        "UPDATE notifications SET status = ?, lease_until = ?, attempts = attempts + 1 "
        "WHERE id IN (SELECT id FROM notifications WHERE status = 'queued' "
        "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
        "ORDER BY id LIMIT ?) AND status = 'queued' AND next_attempt_at <= ? "
        "AND (lease_until IS NULL OR lease_until < ?) RETURNING *",
        ("queued", NOW, NOW, NOW, 100, NOW, NOW),
    ),
}


def plans(path: str) -> dict[str, tuple[list[str], float]]:
    """Each hot query's plan lines and how long it took (ms), on the database at ``path``."""
    connection = sqlite3.connect(path)
    found = {}
    for name, (sql, params) in HOT.items():
        lines = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        if sql.startswith("SELECT"):
            started = time.perf_counter()
            connection.execute(sql, params).fetchall()
            elapsed = (time.perf_counter() - started) * 1000
        else:
            elapsed = float("nan")
        found[name] = (lines, elapsed)
    connection.close()
    return found


def full_scans(found: dict[str, tuple[list[str], float]]) -> list[str]:
    """Queries whose plan reads a whole table (``SCAN t`` without an index)."""
    return [
        name
        for name, (lines, _) in found.items()
        if any(line.startswith("SCAN ") and " INDEX " not in line for line in lines)
    ]


def main(path: str) -> int:
    found = plans(path)
    for name, (lines, elapsed) in found.items():
        print(f"{name} ({elapsed:.3f} ms): {'; '.join(lines)}")
    scans = full_scans(found)
    if scans:
        print(f"full table scans: {', '.join(scans)}")
    return 1 if scans else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
