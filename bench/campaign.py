"""``python -m bench.campaign``: how fast a large campaign is accepted and sent, and the
server's memory meanwhile.

For each size (default 10,000 then 100,000 recipients) a fresh smsreply under gunicorn
(``make run``'s settings, the ``http`` provider pointed at the sink) gets the CSV as a
``text/csv`` body streamed from a file: the preview (``dry_run=1``) and the accept are
timed to their answer; then the sending is timed from the first SMS the sink receives to
the last, at ``sms.rate_per_second`` (``--rate``, high by default to find the ceiling),
and reported against the setting: the achieved rate as a share of it (``rate_held``, 1.0
when the setting holds) and the most SMS in any one second (at most 1.5 × the setting
when sending is even; ``tests/test_campaign_rate.py`` checks both at 20/s).
The server's peak RSS (master and workers, ``VmHWM``) is read before the upload and after
the sending: if the upload were read whole, it would grow with the size.

While the campaign is accepted, reply callbacks are posted at ``--callbacks-rate`` a second
(open loop) to the same server: long work must never hold replies up, so their latency (to
the callback's answer) is measured for the accept's whole duration, its p99 reported.
``--database postgresql`` runs it all on a private PostgreSQL server.

Example::

    python -m bench.campaign --sizes 10000,100000 --rate 5000
    python -m bench.campaign --database postgresql --sizes 200000 --callbacks-rate 20
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import http.client
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from testkit.dataset import open_conversations
from testkit.gunicorn import Gunicorn
from testkit.load import fire, percentile
from testkit.postgres import DURABLE, PrivateCluster
from testkit.scenario import callbacks
from testkit.sink import SinkProcess

from .actions import options, server_settings

TEXT = "Bonjour {prenom}, votre RDV est le {date}. Repondez OUI ou NON"


def write_csv(path: Path, size: int) -> None:
    with path.open("w", encoding="utf-8") as target:
        target.write("prenom;numero;date\n")
        for number in range(size):
            target.write(f"P{number};06{10000000 + number:08d};{1 + number % 28} decembre\n")


def post_csv(server: Gunicorn, path: Path, query: dict) -> tuple[int, dict, float]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    headers = {
        "Authorization": f"Bearer {server.api_key}",
        "Content-Type": "text/csv",
        "Content-Length": str(path.stat().st_size),
    }
    started = time.monotonic()
    with path.open("rb") as body:  # http.client streams a file body in blocks
        connection.request("POST", "/api/campaigns?" + urlencode(query), body, headers)
        answer = connection.getresponse()
        data = json.loads(answer.read())
    elapsed = time.monotonic() - started
    connection.close()
    return answer.status, data, elapsed


def api(server: Gunicorn, method: str, path: str, body: dict | None = None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"}
    connection.request(method, path, json.dumps(body) if body else None, headers)
    data = json.loads(connection.getresponse().read())
    connection.close()
    return data


def busiest_second(arrivals: list[float]) -> int:
    """The most arrivals in any one-second window (each starting at an arrival)."""
    return max(
        (bisect.bisect_left(arrivals, at + 1.0) - index for index, at in enumerate(arrivals)),
        default=0,
    )


def replies_meanwhile(server: Gunicorn, database, work, rate: float, limit: float = 600):
    """Run ``work()`` in a thread; post reply callbacks on a fixed schedule (open loop: a
    stall delays the answers, never the schedule) until it ends. Its result, and the
    callbacks' latency (from when each was due to its answer) and statuses."""
    outcome: list = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(work())
        finally:
            done.set()

    targets = open_conversations(database, max(int(rate * limit), 1))
    requests = callbacks(server, targets, "meanwhile")
    thread = threading.Thread(target=run)
    thread.start()
    shots = asyncio.run(fire("127.0.0.1", server.port, requests, 64, rate, timeout=120, stop=done))
    thread.join()
    shots = [shot for shot in shots if shot.sent]
    latencies = [shot.answered - shot.due for shot in shots if shot.status == 200]
    return outcome[0], {
        "tags": {targets[shot.index].tag for shot in shots},
        "callbacks": len(shots),
        "statuses": {str(code): n for code, n in Counter(s.status for s in shots).items()},
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
    }


def run_size(
    workdir: Path,
    sink: SinkProcess,
    size: int,
    rate: float,
    database=None,
    callbacks_rate=0.0,
    wait_sending=True,
) -> dict:
    folder = workdir / f"campaign-{size}"
    folder.mkdir()
    database = database or folder / "smsreply.db"
    csv_path = folder / "recipients.csv"
    write_csv(csv_path, size)
    settings = server_settings(
        database,
        sink.url,
        **{"sms.rate_per_second": rate, "campaign.max_recipients": size + 1},
        **{"database.path": folder / "local.db"} if isinstance(database, str) else {},
    )
    sink.reset()
    with Gunicorn(folder, settings).init() as server:
        api(server, "POST", "/api/credits", {"amount": size})
        server.put_options(options("text", sink.url))
        before = server.usage().peak_rss_mb
        query = {"name": f"bench-{size}", "message": TEXT}
        status, preview, preview_seconds = post_csv(server, csv_path, {**query, "dry_run": "1"})
        assert status == 200 and preview["recipients"] == size, preview
        meanwhile = None
        if callbacks_rate:
            answer, meanwhile = replies_meanwhile(
                server, database, lambda: post_csv(server, csv_path, query), callbacks_rate
            )
            status, accepted, accept_seconds = answer
        else:
            status, accepted, accept_seconds = post_csv(server, csv_path, query)
        assert status == 201 and accepted["recipients"] == size, accepted
        answers = meanwhile["statuses"].get("200", 0) if meanwhile else 0  # to the callbacks
        after_accept = server.usage().peak_rss_mb
        deadline = time.monotonic() + (max(600.0, 3 * size / rate) if wait_sending else 0)
        while sink.stats()["accepted"] < size + answers and time.monotonic() < deadline:
            time.sleep(0.5)
        replied = meanwhile.pop("tags") if meanwhile else set()
        records = [record for record in sink.records() if record[1] not in replied]
        shown = api(server, "GET", f"/api/campaigns/{accepted['id']}")
        peak = server.usage().peak_rss_mb
    arrivals = sorted(record[0] for record in records)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    return {
        "recipients": size,
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
        "preview_seconds": round(preview_seconds, 2),
        "accept_seconds": round(accept_seconds, 2),
        "accepted_per_second": round(size / accept_seconds),
        "rate_setting": rate,
        "sent_to_sink": len(records),
        "resent": sink.stats()["resent"],
        "send_seconds": round(span, 1),
        "sent_per_second": round((len(arrivals) - 1) / span, 1) if span else None,
        "rate_held": round((len(arrivals) - 1) / span / rate, 3) if span else None,
        "busiest_second": busiest_second(arrivals),
        "counts": shown["counts"],
        "server_peak_rss_mb_before": round(before, 1),
        "server_peak_rss_mb_after_accept": round(after_accept, 1),
        "server_peak_rss_mb_after_sending": round(peak, 1),
        "callbacks_during_accept": meanwhile,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.campaign", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="recipients per campaign")
    parser.add_argument("--rate", type=float, default=5000.0, help="sms.rate_per_second")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--callbacks-rate", type=float, default=20.0, help="reply callbacks/s while accepting"
    )
    parser.add_argument(
        "--accept-only", action="store_true", help="stop after the accept: no sending measured"
    )
    args = parser.parse_args(argv)
    results = []
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="smsreply-campaign-"))
        sink = stack.enter_context(SinkProcess())
        cluster = None
        if args.database == "postgresql":
            cluster = stack.enter_context(PrivateCluster(options=DURABLE))
        for size in (int(value) for value in args.sizes.split(",")):
            database = cluster.create_database(f"campaign_{size}") if cluster else None
            result = run_size(
                Path(tmp),
                sink,
                size,
                args.rate,
                database,
                args.callbacks_rate,
                not args.accept_only,
            )
            results.append(result)
            print(json.dumps(result), file=sys.stderr, flush=True)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        for r in results:
            print(
                f"{r['recipients']:>7} recipients ({r['csv_mb']} MB CSV): preview "
                f"{r['preview_seconds']} s, accepted in {r['accept_seconds']} s "
                f"({r['accepted_per_second']}/s); sent {r['sent_to_sink']} in "
                f"{r['send_seconds']} s ({r['sent_per_second']}/s at a {r['rate_setting']}/s "
                f"setting: {r['rate_held']:.0%} of it, busiest second {r['busiest_second']}; "
                f"{r['resent']} resent); server peak RSS {r['server_peak_rss_mb_before']}"
                f" MB before, {r['server_peak_rss_mb_after_accept']} MB after accepting, "
                f"{r['server_peak_rss_mb_after_sending']} MB after sending"
            )
            if r["callbacks_during_accept"]:
                during = r["callbacks_during_accept"]
                print(
                    f"        reply callbacks while accepting: {during['callbacks']}, statuses "
                    f"{during['statuses']}, p50 {during['p50_ms']} ms, p99 {during['p99_ms']} "
                    f"ms, max {during['max_ms']} ms"
                )
    if args.accept_only:
        return 0
    lost = sum(r["recipients"] - r["sent_to_sink"] + r["resent"] for r in results)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
