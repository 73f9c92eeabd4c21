"""Readiness, apart from liveness: may this host take traffic now?

``/api/health`` says the process answers (liveness: restart it if not). ``/api/ready`` says
the host can do its work: its database answers and has every schema step this code knows
(a database restored from an older backup, or a host of a newer version started against
it, is *behind*). A load balancer takes a host that is not ready out of rotation, and puts
it back when it is (``docs/deployment.md``).

Example::

    problem(store)  # None, or "database unreachable: connection refused…"
"""

from __future__ import annotations

from ..store import Store, storage_errors
from . import metrics


def problem(store: Store) -> str | None:
    """Why this host is not ready, in one line (never a password); None when it is."""
    try:
        pending = store.pending_migrations()
    except (*storage_errors(), OSError) as error:  # OSError: SQLite's folder is gone
        metrics.database_error("ready")
        line = (str(error).strip() or type(error).__name__).splitlines()[0]
        return f"database unreachable: {line}"
    if pending:
        return (
            f"database schema behind: {len(pending)} step(s) not applied "
            f"({', '.join(pending)}); restart smsreply to apply them"
        )
    return None
