"""What the Prometheus metrics cost a reply, in one process, on a real SQLite file.

A reply's whole callback — the callbacks' WSGI app called with an OVH form, the reply stored
and its ``text`` answer handled in the callback's transaction, as under gunicorn with
workers — in interleaved rounds with the metrics counted (``prometheus_client``'s
multiprocess values, in a temporary ``PROMETHEUS_MULTIPROC_DIR``, as under gunicorn) and
with the same calls made no-ops; then the calls alone (the callback's three and the send's
one), and one scrape (every worker's files merged, the database's gauges read). Figures are
medians over the rounds of this thread's CPU time (``time.thread_time``) per reply.

Example::

    python -m bench.metrics_cost --replies 500 --rounds 7
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from testkit.dataset import open_conversations

CALLS = ("callback_answered", "reply_received", "reply_handled", "sms_sent")


def environ(path: str, form: dict[str, str]) -> dict:
    body = urlencode(form).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
    }


def replies(app, path: str, targets, label: str) -> float:
    """CPU µs per reply for the callbacks of ``targets``."""
    statuses = []
    started = time.thread_time()
    for target in targets:
        form = {
            "shortcode": target.shortcode,
            "tag": target.tag or "",
            "id": f"{label}-{target.conversation_id}",
            "senderid": target.recipient,
            "message": "OUI",
        }
        app.wsgi_app(environ(path, form), lambda status, headers: statuses.append(status))
    spent = time.thread_time() - started
    assert set(statuses) == {"200 OK"}, set(statuses)
    return spent / len(targets) * 1e6


@contextlib.contextmanager
def muted(metrics):
    """The same metric calls, made no-ops (the reference)."""
    kept = {name: getattr(metrics, name) for name in CALLS}
    for name in CALLS:
        setattr(metrics, name, lambda *args, **kwargs: None)
    try:
        yield
    finally:
        for name, function in kept.items():
            setattr(metrics, name, function)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_cost", description=__doc__)
    parser.add_argument("--replies", type=int, default=500, help="replies per way and round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smsreply-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(Path(folder) / "metrics")
        (Path(folder) / "metrics").mkdir()
        # Imported only now: prometheus_client picks multiprocess values at import.
        from smsreply.accounts.credentials import ensure_callback_token
        from smsreply.monitoring import metrics
        from smsreply.settings import load_settings
        from smsreply.web import create_app

        settings = load_settings(
            None, env={}, overrides={"database.path": str(Path(folder) / "metrics.db")}
        )
        app = create_app(settings, project_dir=Path(folder))
        service = app.extensions["smsreply"]
        service.set_reply_options({"action": "text", "text": "Merci, c'est noté."})
        service.work_queue.open()  # as if workers ran: text replies are handled inline
        path = "/callbacks/ovh/" + ensure_callback_token(service.store)
        figures: dict[str, list[float]] = {"counted": [], "no-ops": []}
        for round_number in range(args.rounds):
            for name in sorted(figures, reverse=round_number % 2 == 1):  # each first in turn
                targets = open_conversations(Path(folder) / "metrics.db", args.replies)
                with muted(metrics) if name == "no-ops" else contextlib.nullcontext():
                    figures[name].append(replies(app, path, targets, f"{round_number}{name}"))
                while service.work_queue.take(0):  # the answers: nobody sends them here
                    pass
        row = {"reason": None}
        calls = []
        for _ in range(args.rounds):
            started = time.thread_time()
            for _ in range(args.replies):
                metrics.callback_answered("reply", 200, 0.001)
                metrics.reply_received("ovh", row, True)
                metrics.reply_handled("text", "answered")
                metrics.sms_sent("ovh")
            calls.append((time.thread_time() - started) / args.replies * 1e6)
        scrapes = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            metrics.exposition(metrics.StoreCollector(service.store))
            scrapes.append((time.perf_counter() - started) * 1e3)
        service.store.close()
    counted, muted_ = (statistics.median(figures[name]) for name in ("counted", "no-ops"))
    print(f"medians of {args.rounds} interleaved rounds of {args.replies} replies (SQLite):")
    print(f"a reply's callback, metrics counted: {counted:.0f} us of CPU")
    print(f"a reply's callback, metric calls as no-ops: {muted_:.0f} us of CPU")
    print(f"difference: {counted - muted_:+.1f} us ({(counted - muted_) / muted_:+.1%})")
    print(f"the 4 metric calls of a reply alone: {statistics.median(calls):.1f} us of CPU")
    print(f"one scrape (files merged, gauges read): {statistics.median(scrapes):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
