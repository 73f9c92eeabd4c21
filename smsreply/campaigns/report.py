"""How a campaign is going, as the API, the CLI and the manager show it: counts, reply rate,
replies by first word, sends and replies over time, and the CSV export.

Everything is read from the database as it is now (live), streamed: a 100,000-recipient
campaign is counted in SQL, its timeline kept as one counter per minute.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from ..store import Store

TOP_WORDS = 5  # first words listed by name; the rest are counted as "other"
BUCKET_MINUTES = (1, 5, 15, 60, 180, 360, 1440, 10080)
MAX_BUCKETS = 48
EXPORT_COLUMNS = (
    "line",
    "number",
    "status",
    "reason",
    "shortcode",
    "sent_at",
    "delivery",
    "replies",
    "first_reply",
    "first_reply_at",
    "stopped_at",  # the recipient replied STOP after it was sent (now blacklisted)
)
_WORD = re.compile(r"[^\W_]+")
# What a spreadsheet reads as the start of a formula (OWASP's "CSV injection" list)...
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ... except a plain number such as +33612345678 or -12.5, which it reads as a number.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def first_word(message: str) -> str:
    """A reply's first word, upper case without accents ("oui !" and "Oui" are "OUI")."""
    match = _WORD.search(message or "")
    if not match:
        return ""
    decomposed = unicodedata.normalize("NFKD", match.group(0).upper())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def state(row: dict, counts: dict, now: str) -> str:
    """scheduled, sending, done or cancelled, as a person reads it."""
    if row["status"] == "cancelled":
        return "cancelled"
    if row["status"] == "done" and counts["in_queue"] == 0:
        return "done"
    handed = counts["recipients"] - counts["waiting"] - counts["cancelled"]
    if handed <= 0 and row["send_at"] > now:
        return "scheduled"
    return "sending"


def summary(store: Store, row: dict, now: str, counts: dict | None = None) -> dict:
    counts = counts or store.campaign_counts(row["id"])
    return {
        "id": row["id"],
        "name": row["name"],
        "message": row["message"],
        "tag": row["tag"],
        "state": state(row, counts, now),
        "created_at": row["created_at"],
        "send_at": row["send_at"],
        "finished_at": row["finished_at"],
        "cancelled_at": row["cancelled_at"],
        "recipients": row["recipients"],
        "rejected": row["rejected"],
        "segments": row["segments"],
        "credits": row["credits"],
        "refunded": row["refunded"],
        "counts": {
            "queued": counts["waiting"] + counts["in_queue"],
            "sent": counts["sent"],
            "failed": counts["failed"],
            "delivered": counts["delivered"],
            "replied": counts["replied"],
            "cancelled": counts["cancelled"],
            "stopped": counts["stopped"],
            "stopped_after": counts["stopped_after"],
        },
        "replies": counts["replies"],
        "reply_rate": round(counts["replied"] / counts["sent"], 4) if counts["sent"] else 0.0,
    }


def detail(store: Store, campaign_id: int, now: str, rate_per_second: float = 1.0) -> dict:
    """The summary, the replies by first word, and the timeline."""
    row = store.get_campaign(campaign_id)
    words: Counter[str] = Counter()
    reply_minutes: Counter[str] = Counter()
    for received_at, message in store.campaign_replies(campaign_id):
        words[first_word(message)] += 1
        reply_minutes[received_at[:16]] += 1
    sent_minutes = Counter(sent_at[:16] for sent_at in store.campaign_send_times(campaign_id))
    counts = store.campaign_counts(campaign_id)
    data = summary(store, row, now, counts)
    data["first_words"] = by_first_word(words)
    data["timeline"] = timeline(sent_minutes, reply_minutes)
    data["progress"] = progress(data["state"], counts, sent_minutes, now, rate_per_second)
    return data


def progress(
    state: str, counts: dict, sent_minutes: Counter[str], now: str, rate_per_second: float
) -> dict:
    """How far the hand-over is: the share of recipients no longer waiting, the rate of
    the last full minutes of sending (else the setting), and the time left at that rate."""
    waiting, recipients = counts["waiting"], counts["recipients"]
    handed = recipients - waiting
    minute = datetime.fromisoformat(now).astimezone(UTC).replace(second=0, microsecond=0)
    recent = [(minute - timedelta(minutes=back)).isoformat()[:16] for back in (1, 2, 3)]
    sent_recently = sum(sent_minutes.get(key, 0) for key in recent)
    measured = sent_recently / (len(recent) * 60) if sent_recently else None
    rate = measured or rate_per_second
    active = state in ("scheduled", "sending")
    return {
        "handed_over": handed,
        # rounded down: 100 only when every recipient is handed over
        "percent": math.floor(1000 * handed / recipients) / 10 if recipients else 100.0,
        "rate_per_second": round(rate, 2),
        "rate_measured": measured is not None,
        "seconds_left": math.ceil(waiting / rate) if active and waiting else 0,
    }


def by_first_word(words: Counter[str]) -> list[dict]:
    """The most frequent first words, then ``other`` for the rest (and empty replies)."""
    named = [(word, count) for word, count in words.most_common() if word][:TOP_WORDS]
    other = sum(words.values()) - sum(count for _, count in named)
    ranked = sorted(named, key=lambda item: (-item[1], item[0]))
    rows = [{"word": word, "count": count} for word, count in ranked]
    if other:
        rows.append({"word": "other", "count": other})
    return rows


def timeline(sent: Counter[str], replies: Counter[str]) -> dict:
    """Sends and replies per bucket, the bucket the smallest that fits ``MAX_BUCKETS``."""
    minutes = sorted(set(sent) | set(replies))
    if not minutes:
        return {"bucket_minutes": 1, "buckets": []}
    start = datetime.fromisoformat(minutes[0] + ":00+00:00")
    span = (datetime.fromisoformat(minutes[-1] + ":00+00:00") - start).total_seconds() / 60
    size = next((m for m in BUCKET_MINUTES if span / m < MAX_BUCKETS), BUCKET_MINUTES[-1])
    count = int(span // size) + 1
    buckets = [
        {"at": (start + timedelta(minutes=i * size)).isoformat(), "sent": 0, "replies": 0}
        for i in range(count)
    ]
    for key, counter in (("sent", sent), ("replies", replies)):
        for minute, number in counter.items():
            offset = (datetime.fromisoformat(minute + ":00+00:00") - start).total_seconds()
            buckets[int(offset // 60 // size)][key] += number
    return {"bucket_minutes": size, "buckets": buckets}


def export_rows(store: Store, campaign_id: int) -> Iterator[dict]:
    """One row per line of the campaign: recipients by line, then the rejected lines."""
    for row in store.campaign_export_rows(campaign_id):
        if "reason" in row:
            yield {
                "line": row["line"],
                "number": row["recipient"],
                "status": "rejected",
                "reason": f"{row['reason']}: {row['detail']}",
            }
            continue
        yield recipient_row(row)


def recipient_row(row: dict) -> dict:
    """A recipient as the export (and the campaign's page) shows it."""
    status = row["recipient_status"]
    if status == "handed":
        status = "queued" if row["sms_status"] in ("queued", "sending") else row["sms_status"]
    return {
        "line": row["line"],
        "number": row["recipient"],
        "status": status,
        "reason": row["error"] or "",
        "shortcode": row["shortcode"] or "",
        "sent_at": row["sent_at"] or "",
        "delivery": row["delivery_status"] or "",
        "replies": row["reply_count"] or 0,
        "first_reply": row["first_reply"] or "",
        "first_reply_at": row["first_reply_at"] or "",
        "stopped_at": row["stopped_at"] or "",
    }


def spreadsheet_safe(value: object) -> object:
    """``value`` made inert in a spreadsheet: a text that would start a formula gets a
    leading ``'`` (as OWASP recommends); plain numbers and other values are left alone.

    Anyone with a phone writes replies, so ``=cmd|' /C calc'!A0`` can come back.
    """
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    return "'" + value if formula and not _NUMBER.fullmatch(value) else value


def export_csv(store: Store, campaign_id: int) -> Iterator[str]:
    """The export as CSV text, a chunk at a time (a header first), safe in a spreadsheet."""
    store.get_campaign(campaign_id)  # NotFound before the first byte is sent
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, EXPORT_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(export_rows(store, campaign_id), start=1):
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
