"""PostgreSQL: credit changes as one statement — a transaction's, sent with its COMMIT
(``credits_statement``), or part of a larger one (``low_credit_alert``: the low-credit
e-mail, for any statement that moves the balance in a ``moved`` step). The SQL uses
``:name`` placeholders (``postgres_sql.translate``)."""

from __future__ import annotations

_REFS = ("conversation_id", "reply_id", "outgoing_id")


def credits_statement(
    credits: list[tuple[int, dict]], alert: tuple[int, str, str] | None
) -> tuple[str, dict]:
    """One statement for a transaction's credit changes: the balance moved by their sum
    (the account's CHECK refuses a negative balance: the statement fails, the COMMIT sent
    with it is skipped), a ledger line each, in order, each with the balance after it; and
    the low-credit e-mail when the sum took the balance below ``alert``'s threshold."""
    params: dict[str, object] = {"total": sum(delta for delta, _ in credits)}
    values, later = [], params["total"]
    for n, (delta, row) in enumerate(credits):
        later -= delta  # what the changes after this one move
        params |= {f"d{n}": delta, f"l{n}": later, f"at{n}": row["at"], f"r{n}": row["reason"]}
        params |= {f"{ref}{n}": row.get(ref) for ref in _REFS}
        refs = ", ".join(f":{ref}{n}::bigint" for ref in _REFS)
        values.append(f"({n}, :d{n}::bigint, :l{n}::bigint, :at{n}, :r{n}, {refs})")
    sql = (
        "WITH moved AS (UPDATE account SET balance = balance + :total WHERE id = 1 "
        "RETURNING balance), lines AS (INSERT INTO ledger "
        "(delta, balance, at, reason, conversation_id, reply_id, outgoing_id) "
        "SELECT v.delta, moved.balance - v.later, v.at, v.reason, "
        "v.conversation_id, v.reply_id, v.outgoing_id "
        f"FROM moved, (VALUES {', '.join(values)}) AS v "
        "(n, delta, later, at, reason, conversation_id, reply_id, outgoing_id) ORDER BY v.n)"
    )
    alerted, alert_params = low_credit_alert(alert, params["total"], credits[-1][1]["at"])
    return sql + alerted + " SELECT balance FROM moved", params | alert_params


def low_credit_alert(
    alert: tuple[int, str, str] | None, total: int, at: str
) -> tuple[str, dict[str, object]]:
    """The step (``, alerted AS (…)``) that queues the low-credit e-mail when the balance,
    moved by ``total`` in the statement's ``moved`` step, crossed ``alert``'s threshold
    (threshold, from, to) going down; nothing when no alert is set or credits go up."""
    if alert is None or total >= 0:
        return "", {}
    params = {"below": alert[0], "sender": alert[1], "target": alert[2], "now": at}
    return (
        ", alerted AS (INSERT INTO notifications "
        "(reply_id, media, sender, target, status, created_at, about) "
        "SELECT NULL, 'email', :sender, :target, 'queued', :now, "
        "json_build_object('alert', 'low_credit', 'balance', balance, "
        "'below', :below::bigint)::text "
        "FROM moved WHERE balance < :below AND :below <= balance - :alert_total)",
        params | {"alert_total": total},
    )
