"""Accepting a campaign: every line checked before anything is sent, credits reserved.

``accept`` reads the lines once, into a private scratch file (``store/staging.py``): a
valid line becomes a recipient (its ``{column}`` fields filled, its parts counted after
filling), a refused one is recorded with its reason. A preview (``dry_run``) stops there
and says exactly what sending would do; it writes nothing to the database. Otherwise one
short transaction stores the campaign with its lines and reserves the credits of all valid
lines in one debit; a balance that cannot cover them refuses the whole campaign (402,
saying how many are missing) and nothing is kept.

Example::

    columns, lines = reading.read_csv(upload)
    preview = accept(service, Draft("Jeu", "Bonjour {prenom}", columns=columns), lines,
                     dry_run=True)
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..accounts import ledger_reasons
from ..clock import to_iso
from ..errors import PaymentRequired, ValidationError
from ..sending import check_tag
from ..store import InsufficientCredits
from ..store.staging import Staging
from ..text.nul import refuse_nul
from ..text.phone import InvalidNumber, parse_french_mobile
from ..text.segments import count_segments, find_url
from .reading import Line, plain

FIELD = re.compile(r"\{([^{}\s]+)\}")
MAX_NAME = 100
PREVIEW_REJECTIONS = 1000  # rejected lines listed in an answer; the export has them all
PAST_GRACE = timedelta(minutes=5)  # a send_at this close behind now means now
MAX_AHEAD = timedelta(days=36525)  # a hundred years: beyond, dates overflow (year 9999)
CHUNK = 1000  # lines whose numbers are looked up in the blacklist at once

REASONS = {
    "invalid_number": "not a French metropolitan mobile",
    "duplicate": "the same number is on an earlier line",
    "blacklisted": "the number replied STOP (blacklisted)",
    "missing_field": "a {column} of the message is empty on this line",
    "url": "the filled message contains a URL",
    "too_long": "the filled message needs more SMS parts than sms.max_parts",
}


@dataclass(frozen=True)
class Draft:
    name: str
    message: str
    tag: str | None = None
    send_at: str | None = None  # ISO 8601 with an offset; None: now
    columns: list[str] = field(default_factory=list)
    # A manager's confirm token or an API Idempotency-Key: at most one campaign per key
    request_key: str | None = None


class CampaignExists(Exception):
    """The draft's ``request_key`` made a campaign already (a second click, a retry)."""

    def __init__(self, campaign_id: int) -> None:
        super().__init__(f"campaign #{campaign_id} was made by this request already")
        self.campaign_id = campaign_id


def check_draft(draft: Draft, now: datetime) -> tuple[str, datetime]:
    """Check what applies to every line; the tag and when to start sending."""
    if not isinstance(draft.name, str) or not draft.name.strip():
        raise ValidationError("'name' must be a non-empty string", field="name")
    if len(draft.name) > MAX_NAME or not draft.name.isprintable():
        raise ValidationError(
            f"'name' must be printable, {MAX_NAME} characters at most", field="name"
        )
    if not isinstance(draft.message, str) or not draft.message.strip():
        raise ValidationError("'message' must be a non-empty string", field="message")
    url = find_url(FIELD.sub("", draft.message))
    if url:
        raise ValidationError(
            f"'message' contains a URL ({url}): short codes cannot send URLs", field="message"
        )
    missing = sorted({plain(name) for name in FIELD.findall(draft.message)} - set(draft.columns))
    if missing:
        have = ", ".join(draft.columns) or "none"
        raise ValidationError(
            f"'message' uses {{{missing[0]}}} but the recipients have no such column "
            f"(columns: {have})",
            field="message",
        )
    refuse_nul(draft.message, "message")
    return check_tag(draft.tag), check_send_at(draft.send_at, now)


def check_send_at(send_at: str | None, now: datetime) -> datetime:
    """When to start: ``now`` when not given; a time in the past is refused (a few minutes
    of grace for clocks and slow clicks), never silently taken as "now"."""
    if not send_at:
        return now
    try:
        start = datetime.fromisoformat(send_at)
    except (TypeError, ValueError):
        raise ValidationError(
            "'send_at' must be an ISO 8601 time, e.g. 2026-12-01T09:00:00+01:00",
            field="send_at",
        ) from None
    if start.tzinfo is None:
        raise ValidationError("'send_at' needs a UTC offset (+01:00, Z)", field="send_at")
    try:
        start = start.astimezone(UTC)
    except OverflowError:  # in UTC, 0001-01-01T00:00+01:00 is before year 1 (9999: after)
        start = (datetime.max if start.year > 1 else datetime.min).replace(tzinfo=UTC)
    if start < now - PAST_GRACE:
        raise ValidationError(
            f"'send_at' ({to_iso(start)}) is in the past; leave it out to send now",
            field="send_at",
            key="send_at_past",
        )
    if start > now + MAX_AHEAD:
        raise ValidationError(
            f"'send_at' ({to_iso(start)}) is more than {MAX_AHEAD.days // 365} years ahead",
            field="send_at",
            key="send_at_far",
            params={"years": MAX_AHEAD.days // 365},
        )
    return max(start, now)


def fill(template: str, fields: dict[str, str]) -> tuple[str | None, str | None]:
    """The message for one line, or (None, the first empty field's name)."""
    empty: list[str] = []

    def value(match: re.Match) -> str:
        text = fields.get(plain(match.group(1)), "").strip()
        if not text:
            empty.append(match.group(1))
        return text

    message = FIELD.sub(value, template)
    return (None, empty[0]) if empty else (message, None)


def accept(service, draft: Draft, lines: Iterable[Line], dry_run: bool = False) -> dict:
    """Store the campaign (or preview it); its totals with the rejected lines."""
    store = service.store
    now = service.clock()
    tag, start = check_draft(draft, now)
    created_at = to_iso(now)
    with Staging() as staging:
        totals = _check_lines(service, staging, draft.message, lines)
        answer = {
            "id": None,
            "name": draft.name.strip(),
            "send_at": to_iso(start),
            **totals,
            "rejections": _rejections(staging),
        }
        if dry_run:
            answer["balance"] = store.balance()
            answer["credits_missing"] = max(totals["credits"] - answer["balance"], 0)
            return answer
        if totals["recipients"] == 0:
            raise ValidationError(
                f"no valid recipient: all {totals['rejected']} line(s) were refused "
                "(preview them with dry_run)",
                field="recipients",
            )
        with store.write():  # short: the lines are checked already
            row = {
                "name": draft.name.strip(),
                "message": draft.message,
                "tag": tag,
                "status": "queued",
                "send_at": to_iso(start),
                "created_at": created_at,
                **totals,
                # the work engine's clock is the system's (leases, due times)
                "next_attempt_at": time.time() + (start - now).total_seconds(),
            }
            if draft.request_key is None:
                campaign_id = store.record_campaign(row)
            else:  # inserted with the campaign, in its transaction: one key, one campaign
                campaign_id = store.record_campaign_once({**row, "request_key": draft.request_key})
                if campaign_id is None:
                    raise CampaignExists(store.campaign_for_request(draft.request_key))
            store.add_campaign_lines(campaign_id, staging)
            balance = _reserve(store, campaign_id, totals, created_at)  # the balance last
            answer.update(id=campaign_id, balance=balance)
    service.work_queue.submit("campaign", campaign_id)
    return answer


def _in_chunks(store, lines: Iterable[Line]) -> Iterator[tuple[Line, set[str]]]:
    """Each line with the blacklisted numbers of its chunk: one query per ``CHUNK`` lines,
    not one a line (200,000 round trips are minutes when the database is on another host)."""
    lines = iter(lines)
    while chunk := list(itertools.islice(lines, CHUNK)):
        numbers = set()
        for line in chunk:
            with contextlib.suppress(InvalidNumber):
                numbers.add(parse_french_mobile(line.number))
        blacklisted = store.blacklisted_among(sorted(numbers))
        yield from ((line, blacklisted) for line in chunk)


def _check_lines(service, staging: Staging, template: str, lines: Iterable[Line]) -> dict:
    store, settings = service.store, service.settings
    max_parts, limit = settings["sms.max_parts"], settings["campaign.max_recipients"]
    totals = {"recipients": 0, "rejected": 0, "segments": 0, "credits": 0}
    for line, blacklisted in _in_chunks(store, lines):
        if totals["recipients"] + totals["rejected"] >= limit:
            raise ValidationError(
                f"more than {limit} lines (campaign.max_recipients)", field="recipients"
            )
        reason, detail, row = _check_line(blacklisted, staging, template, line, max_parts)
        if reason:
            totals["rejected"] += 1
            staging.reject(
                {
                    "line": line.line,
                    "recipient": line.number[:64],
                    "reason": reason,
                    "detail": detail,
                }
            )
            continue
        totals["recipients"] += 1
        totals["segments"] += row["segments"]
        totals["credits"] += row["credits"]
    return totals


def _check_line(blacklisted: set[str], staging: Staging, template: str, line: Line, max_parts):
    """(reason, detail, None) for a refused line; (None, "", its row) once it is kept."""
    try:
        number = parse_french_mobile(line.number)
    except InvalidNumber as error:
        return "invalid_number", str(error), None
    if number in blacklisted:
        return "blacklisted", f"{number} replied STOP", None
    message, empty = fill(template, line.fields)
    if message is None:
        return "missing_field", f"{{{empty}}} is empty", None
    url = find_url(message)
    if url:
        return "url", f"the message would contain {url}", None
    segments = count_segments(message)
    if segments.parts > max_parts:
        return "too_long", f"{segments.parts} parts; the maximum is {max_parts}", None
    row = {
        "line": line.line,
        "recipient": number,
        "message": message,
        "encoding": segments.encoding,
        "segments": segments.parts,
        "credits": segments.credits,
    }
    first = staging.add_recipient(row)
    if first is not None:
        return "duplicate", f"{number} is already on line {first}", None
    return None, "", row


def _reserve(store, campaign_id: int, totals: dict, at: str) -> int:
    """Debit the campaign's credits; the balance left."""
    try:
        return store.change_credits(
            -totals["credits"], at, ledger_reasons.reason("campaign_reserved", campaign=campaign_id)
        )
    except InsufficientCredits as error:
        raise PaymentRequired(
            f"not enough credits: the campaign needs {error.needed}, the balance is "
            f"{error.balance}: {error.needed - error.balance} missing"
        ) from None


def _rejections(staging: Staging) -> list[dict]:
    rows = staging.rejections(PREVIEW_REJECTIONS)
    return [{**row, "reason_text": REASONS[row["reason"]]} for row in rows]
