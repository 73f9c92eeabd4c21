"""Writes racing each other on the real database: each is guarded by what it touches.

On PostgreSQL write transactions run side by side (no lock every write takes: see
``docs/reliability.md``); on SQLite they run one at a time. Either way, threads started
together on the same reply, the same recipient, the same conversation or the last credits
must give the answers one at a time would: one reply stored, codes never shared, replies
numbered without repeats, a balance never below zero.
"""

from __future__ import annotations

import threading

from smsreply.errors import PaymentRequired
from smsreply.providers import InboundReply

THREADS = 12


def together(work, count: int = THREADS) -> list:
    """Run ``work(index)`` in ``count`` threads released at once; their results."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # kept: the test says which ones may fail
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_the_same_reply_from_many_callbacks_at_once_is_stored_once(service):
    conversation = service.send_message("0612345678", "RDV demain ?")
    before = service.store.balance()
    inbound = InboundReply("same-id", "+33612345678", "OUI", conversation["shortcode"])

    def post(_: int):
        return service.receive_reply(inbound, "ovh")  # what the callback calls

    results = together(post)
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sorted(created for _, created in results) == [False] * (THREADS - 1) + [True]
    assert len({reply["id"] for reply, _ in results}) == 1
    assert len(service.store.latest_replies(10)) == 1
    assert service.store.balance() == before - 1  # its credit debited once


def test_messages_to_one_number_at_once_never_share_a_short_code(service):
    service.settings = {**service.settings, "sms.shortcode_min": 38000, "sms.shortcode_max": 38015}
    service.add_credits(100)
    results = together(lambda index: service.send_message("0612345678", f"Message {index}"))
    assert not [result for result in results if isinstance(result, Exception)], results
    codes = [conversation["shortcode"] for conversation in results]
    assert len(set(codes)) == THREADS, sorted(codes)


def test_replies_to_one_conversation_at_once_are_numbered_one_by_one(service):
    conversation = service.send_message("0612345678", "RDV demain ?")

    def post(index: int):
        inbound = InboundReply(f"r{index}", "+33612345678", "OUI", conversation["shortcode"])
        return service.receive_reply(inbound, "ovh")  # what the callback calls

    results = together(post)
    assert not [result for result in results if isinstance(result, Exception)], results
    numbers = sorted(reply["reply_number"] for reply, _ in results)
    assert numbers == list(range(1, THREADS + 1))
    stored = service.store.get("conversations", conversation["id"])
    assert stored["reply_count"] == THREADS


def test_the_last_credits_are_spent_once(service):
    service.store.change_credits(-(service.store.balance() - 5), "2026-11-25", "test: keep 5")

    def send(index: int):
        return service.send_message(f"06123456{index:02d}", "Bonjour")

    results = together(send)
    refused = [result for result in results if isinstance(result, PaymentRequired)]
    assert len(refused) == THREADS - 5, results
    assert service.store.balance() == 0
    ledger = service.store.ledger(100)
    assert [line["balance"] for line in ledger[:5]] == [0, 1, 2, 3, 4]
