"""The libpq parameters every PostgreSQL connection of smsreply opens with: the session's
limits (``database.lock_timeout``, ``statement_timeout``, ``idle_in_transaction_timeout``) and
TCP keepalives, so that a frozen host stops nobody (``docs/reliability.md``)."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict


def session_settings(
    url: str,
    lock_timeout: float = 2.0,
    statement_timeout: float = 60.0,
    idle_in_transaction_timeout: float = 5.0,
    keepalive_seconds: float = 10.0,
) -> dict[str, object]:
    """The libpq parameters every pooled connection opens with, so a frozen host stops nobody.

    The timeouts go in the startup packet (``options``: no round trip; any ``options`` of
    the URL are kept); 0 turns one off, as in PostgreSQL. Keepalives at our end notice a
    server gone silent; the same values at the server's end notice a host gone.
    """
    milliseconds = {
        "lock_timeout": lock_timeout,
        "statement_timeout": statement_timeout,
        "idle_in_transaction_session_timeout": idle_in_transaction_timeout,
    }
    options = [f"-c {name}={round(seconds * 1000)}" for name, seconds in milliseconds.items()]
    keepalive = {"keepalives": 0}
    if keepalive_seconds > 0:
        idle, interval, count = (
            max(round(keepalive_seconds), 1),
            max(round(keepalive_seconds / 3), 1),
            3,
        )
        options += [
            f"-c tcp_keepalives_idle={idle}",
            f"-c tcp_keepalives_interval={interval}",
            f"-c tcp_keepalives_count={count}",
        ]
        keepalive = {
            "keepalives": 1,
            "keepalives_idle": idle,
            "keepalives_interval": interval,
            "keepalives_count": count,
        }
    given = conninfo_to_dict(url).get("options")
    return {"options": " ".join([*([given] if given else []), *options]), **keepalive}
