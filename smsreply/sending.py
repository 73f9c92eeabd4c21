"""Sending: open a conversation from a short code, and hand queued SMS to the provider.

``open_conversation`` validates, debits and queues in one transaction, so a message is
either fully accepted (conversation, outgoing SMS, ledger line) or not at all.
``deliver`` hands one queued SMS to the provider under a lease: a retryable failure is
tried again with exponential backoff, a final one refunds its credits. Our SMS id goes
with it, so a resend after a crash is recognised by the provider.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from .clock import Clock, to_iso
from .errors import PaymentRequired, ValidationError
from .phone import InvalidNumber, parse_french_mobile
from .providers import OutgoingSms, Provider, ProviderError
from .segments import Segments, count_segments, find_url
from .store import InsufficientCredits, Store

MAX_TAG = 64


def check_text(message: object, max_parts: int, field: str = "message") -> Segments:
    if not isinstance(message, str) or not message.strip():
        raise ValidationError(f"{field!r} must be a non-empty string", field=field, key="required")
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
    if not isinstance(tag, str) or len(tag) > MAX_TAG or not tag.isprintable():
        raise ValidationError(
            f"'tag' must be printable text of at most {MAX_TAG} characters",
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


def open_conversation(
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
    created_at = to_iso(now)
    expires_at = to_iso(now + timedelta(hours=settings["reply.window_hours"]))
    with store.write():
        shortcode = None
        if provider.allocates_shortcode:
            used = store.open_shortcodes(recipient, created_at)
            shortcode = allocate_shortcode(
                used, settings["sms.shortcode_min"], settings["sms.shortcode_max"]
            )
        conversation = {
            "tag": tag,
            "provider_tag": "",
            "recipient": recipient,
            "shortcode": shortcode,
            "message": message,
            "encoding": segments.encoding,
            "segments": segments.parts,
            "credits": segments.credits,
            "created_at": created_at,
            "expires_at": expires_at,
        }
        conversation_id = store.insert("conversations", conversation)
        provider_tag = f"sr{conversation_id}"
        outgoing_id = queue_sms(
            store,
            "message",
            recipient,
            shortcode,
            message,
            segments,
            provider_tag,
            created_at,
            conversation_id=conversation_id,
        )
        try:
            store.change_credits(
                -segments.credits,
                created_at,
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
        store.update(
            "conversations",
            conversation_id,
            {"provider_tag": provider_tag, "outgoing_id": outgoing_id},
        )
    return store.get("conversations", conversation_id)


def queue_sms(
    store: Store,
    kind: str,
    recipient: str,
    shortcode: str | None,
    message: str,
    segments: Segments,
    tag: str,
    created_at: str,
    **columns: object,
) -> int:
    """Insert one SMS to send; ``columns`` add references or a claim (see handling)."""
    return store.insert(
        "outgoing",
        {
            "kind": kind,
            "recipient": recipient,
            "shortcode": shortcode,
            "message": message,
            "encoding": segments.encoding,
            "segments": segments.parts,
            "credits": segments.credits,
            "tag": tag,
            "status": "queued",
            "created_at": created_at,
            **columns,
        },
    )


def lease_is_fresh(lease: float | None, settings: Mapping[str, object], now: float) -> bool:
    """True if our ``lease`` has half its time left or more: no one can take the work over."""
    return lease is not None and lease - now >= settings["worker.lease_seconds"] / 2


def deliver(
    store: Store,
    settings: Mapping[str, object],
    provider: Provider,
    clock: Clock,
    outgoing_id: int,
    lease: float | None = None,
) -> bool:
    """Hand one queued SMS to the provider; return True when it was accepted.

    ``lease`` is the claim taken when the SMS was queued (``handling``), if any; without
    it the SMS is claimed here (and a claim of ours that runs out soon is taken again).
    """
    now = time.time()
    if lease_is_fresh(lease, settings, now):
        row = store.get("outgoing", outgoing_id)
        if row["status"] != "sending" or row["lease_until"] != lease:
            return False
        attempts, first = row["attempts"], None  # queued claimed: this is the first attempt
    else:
        with store.write():
            row = store.get("outgoing", outgoing_id)
            due = row["status"] in ("queued", "sending") and row["next_attempt_at"] <= now
            ours = lease is not None and row["lease_until"] == lease
            if not due or (not ours and (row["lease_until"] or 0) >= now):
                return False
            attempts = row["attempts"] if ours else row["attempts"] + 1
            store.update(
                "outgoing",
                outgoing_id,
                {
                    "status": "sending",
                    "attempts": attempts,
                    "provider": provider.name,
                    "lease_until": now + settings["worker.lease_seconds"],
                    "first_attempt_at": row["first_attempt_at"] or now,
                },
            )
        # Set: an earlier attempt may have reached the provider (ours was never made).
        first = None if ours else row["first_attempt_at"]
    sms = OutgoingSms(
        id=row["id"],
        to=row["recipient"],
        message=row["message"],
        shortcode=row["shortcode"],
        tag=row["tag"] or "",
        segments=row["segments"],
        retry_of=datetime.fromtimestamp(first, UTC) if first else None,
    )
    try:
        sent = provider.send(sms)
    except ProviderError as error:
        _failed(store, settings, clock, row, attempts, error.message, error.retryable)
        return False
    except Exception as error:  # a provider bug or network error must not lose the SMS
        _failed(store, settings, clock, row, attempts, f"{type(error).__name__}: {error}", True)
        return False
    with store.write():
        store.update(
            "outgoing",
            outgoing_id,
            {
                "status": "sent",
                "provider": provider.name,
                "provider_id": sent.provider_id,
                "sent_at": to_iso(clock()),
                "lease_until": None,
                "error": None,
                "shortcode": row["shortcode"] or sent.shortcode,
            },
        )
        if sent.shortcode and row["kind"] == "message" and not row["shortcode"]:
            store.update("conversations", row["conversation_id"], {"shortcode": sent.shortcode})
        if sent.credits_left is not None:  # the provider's own balance, shown beside ours
            store.set_option(
                "provider_credits",
                {"provider": provider.name, "balance": sent.credits_left, "at": to_iso(clock())},
            )
    return True


def _failed(
    store: Store,
    settings: Mapping[str, object],
    clock: Clock,
    row: dict,
    attempts: int,
    reason: str,
    retryable: bool,
) -> None:
    with store.write():
        if retryable and attempts < settings["worker.max_attempts"]:
            delay = settings["worker.retry_base_seconds"] * 2 ** (attempts - 1)
            store.update(
                "outgoing",
                row["id"],
                {
                    "status": "queued",
                    "error": reason,
                    "lease_until": None,
                    "next_attempt_at": time.time() + delay,
                },
            )
            return
        store.update(
            "outgoing", row["id"], {"status": "failed", "error": reason, "lease_until": None}
        )
        store.change_credits(
            row["credits"],
            to_iso(clock()),
            "refund: SMS not sent",
            conversation_id=row["conversation_id"],
            reply_id=row["reply_id"],
            outgoing_id=row["id"],
        )
