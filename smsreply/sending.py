"""Sending: open a conversation from a short code, and hand queued SMS to the provider.

``open_conversation`` is the one verb that opens a conversation (a short code, the
conversation, its first SMS), for a message sent through the API and for each campaign
recipient alike. ``send_message`` validates, opens and debits in one transaction, so a
message is either fully accepted (conversation, outgoing SMS, ledger line) or not at all.
``transmit`` hands one claimed SMS to the provider, and ``record_sent`` records what the
provider said; the work engine (``work.py``) claims it, retries it or fails it and refunds
its credits. Our SMS id goes with it, so a resend after a crash is recognised by the
provider.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from .clock import Clock, to_iso
from .engine.heartbeat import Claim, Lease
from .errors import PaymentRequired, ValidationError
from .providers import OutgoingSms, Provider, Sent
from .store import InsufficientCredits, Store
from .text.nul import refuse_nul
from .text.phone import InvalidNumber, parse_french_mobile
from .text.segments import Segments, count_segments, find_url

MAX_TAG = 64
# A tag is any text without control characters (C0, DEL, C1) or line separators: they
# would break log lines and CSV exports. The API's document says it as JSON Schema
# ``{"not": {"pattern": CONTROL}}``, searched as JSON Schema searches a pattern.
CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"


def check_text(message: object, max_parts: int, field: str = "message") -> Segments:
    if not isinstance(message, str) or not message.strip():
        raise ValidationError(f"{field!r} must be a non-empty string", field=field, key="required")
    refuse_nul(message, field)
    url = find_url(message)
    if url:
        raise ValidationError(
            f"{field!r} contains a URL ({url}): short codes cannot send URLs",
            field=field,
            key="text_url",
            params={"url": url},
        )
    segments = count_segments(message)
    if segments.parts > max_parts:
        raise ValidationError(
            f"{field!r} needs {segments.parts} SMS parts ({segments.encoding}, {segments.units} "
            f"units); the maximum is {max_parts}",
            field=field,
            key="text_too_long",
            params={"parts": segments.parts, "encoding": segments.encoding, "max": max_parts},
        )
    return segments


def check_tag(tag: object) -> str | None:
    if tag is None or tag == "":
        return None
    if not isinstance(tag, str) or len(tag) > MAX_TAG or re.search(CONTROL, tag):
        raise ValidationError(
            f"'tag' must be text without control characters, at most {MAX_TAG} characters",
            field="tag",
            key="tag_invalid",
            params={"max": MAX_TAG},
        )
    return tag


def allocate_shortcode(used: set[str], low: int, high: int) -> str:
    """A random 5-digit code not already open with this recipient."""
    for _ in range(64):
        code = str(random.randint(low, high))
        if code not in used:
            return code
    free = sorted(set(map(str, range(low, high + 1))) - used)
    if not free:
        raise ValidationError(
            "no free short code for this recipient", field="to", key="no_free_shortcode"
        )
    return random.choice(free)


def send_message(
    store: Store,
    settings: Mapping[str, object],
    provider: Provider,
    clock: Clock,
    to: object,
    message: object,
    tag: object = None,
) -> dict:
    """Validate, debit and queue a message; return the conversation row and its SMS id."""
    if not isinstance(to, str):
        raise ValidationError("'to' must be a phone number string", field="to", key="number_empty")
    try:
        recipient = parse_french_mobile(to)
    except InvalidNumber as error:
        raise ValidationError.from_cause(error, field="to") from None
    segments = check_text(message, settings["sms.max_parts"])
    tag = check_tag(tag)
    opted_out = store.blacklisted(recipient)
    if opted_out:
        raise ValidationError(
            f"{recipient} replied STOP on {opted_out['added_at'][:10]}: it is blacklisted "
            "(remove it with `smsreply blacklist remove` or DELETE /api/blacklist/<number>)",
            field="to",
            key="blacklisted",
            params={"number": recipient, "since": opted_out["added_at"]},
        )
    now = clock()
    with store.write():
        conversation_id, outgoing_id = open_conversation(
            store, settings, provider, recipient, message, segments, tag, now
        )
        try:  # the balance last: its one row is held until the commit
            store.change_credits(
                -segments.credits,
                to_iso(now),
                "message",
                conversation_id=conversation_id,
                outgoing_id=outgoing_id,
            )
        except InsufficientCredits as error:
            raise PaymentRequired(
                f"not enough credits: this message needs {error.needed}, the balance is "
                f"{error.balance}",
                params={"needed": error.needed, "balance": error.balance},
            ) from None
    return store.get("conversations", conversation_id)


def open_conversation(
    store: Store,
    settings: Mapping[str, object],
    provider: Provider,
    recipient: str,
    message: str,
    segments: Segments,
    tag: str | None,
    now: datetime,
    lease: Lease | None = None,
) -> tuple[int, int]:
    """Open a conversation with ``recipient`` (a checked number) and queue its first SMS,
    in the caller's transaction; (the conversation's id, the SMS's id).

    Its short code is one not open with this recipient: the choice holds a lock on this
    recipient only, until the commit, so two messages to the same number at once never
    share a code. ``lease``: the SMS is queued claimed by this process (``work.py``)."""
    created_at = to_iso(now)
    shortcode = None
    if provider.allocates_shortcode:
        store.lock_key(f"recipient:{recipient}")
        shortcode = allocate_shortcode(
            store.open_shortcodes(recipient, created_at),
            settings["sms.shortcode_min"],
            settings["sms.shortcode_max"],
        )
    conversation_id = store.record_conversation(
        {
            "tag": tag,
            "provider_tag": "",
            "recipient": recipient,
            "shortcode": shortcode,
            "message": message,
            "encoding": segments.encoding,
            "segments": segments.parts,
            "credits": segments.credits,
            "created_at": created_at,
            "expires_at": to_iso(now + timedelta(hours=settings["reply.window_hours"])),
        }
    )
    provider_tag = f"sr{conversation_id}"
    row = sms_row("message", recipient, shortcode, message, segments, provider_tag, created_at,
                  conversation_id=conversation_id)  # fmt: skip
    outgoing_id = store.queue_sms(row, lease)
    store.link_conversation(conversation_id, provider_tag, outgoing_id)
    return conversation_id, outgoing_id


def sms_row(
    kind: str,
    recipient: str,
    shortcode: str | None,
    message: str,
    segments: Segments,
    tag: str,
    created_at: str,
    **references: int,
) -> dict:
    """The columns of one SMS to queue (``store.queue_sms(row, lease)``; ``references``: its
    conversation, reply; ``lease``: queued claimed by this process, which sends it next)."""
    return {
        "kind": kind,
        "recipient": recipient,
        "shortcode": shortcode,
        "message": message,
        "encoding": segments.encoding,
        "segments": segments.parts,
        "credits": segments.credits,
        "tag": tag,
        "created_at": created_at,
        **references,
    }


def transmit(provider: Provider, row: dict) -> Sent:
    """Hand one claimed SMS to the provider (raises ``ProviderError`` when it refuses).

    After a first attempt, the time of the first goes with it: an earlier attempt may have
    reached the provider, which then recognises the SMS by our id instead of sending it
    twice.
    """
    first = row["first_attempt_at"] if row["attempts"] > 1 else None
    sms = OutgoingSms(
        id=row["id"],
        to=row["recipient"],
        message=row["message"],
        shortcode=row["shortcode"],
        tag=row["tag"] or "",
        segments=row["segments"],
        retry_of=datetime.fromtimestamp(first, UTC) if first else None,
    )
    return provider.send(sms)


def record_sent(store: Store, provider: Provider, clock: Clock, claim: Claim, sent: Sent) -> bool:
    """Record what the provider said, if our claim still holds; False when it does not
    (the SMS was taken over after our lease ran out: its new claimant records it)."""
    row, at = claim.row, to_iso(clock())
    shortcode = row["shortcode"] or sent.shortcode
    learned = sent.shortcode and row["kind"] == "message" and not row["shortcode"]
    if not learned and sent.credits_left is None:  # one statement: no transaction of its own
        return store.finish_sms(row["id"], claim.token, provider.name, sent.provider_id, at,
                                shortcode)  # fmt: skip
    with store.write():
        if not store.finish_sms(
            row["id"], claim.token, provider.name, sent.provider_id, at, shortcode
        ):
            return False
        if learned:
            store.learn_shortcode(row["conversation_id"], sent.shortcode)
        if sent.credits_left is not None:  # the provider's own balance, shown beside ours
            store.record_provider_balance(provider.name, sent.credits_left, at)
    return True
