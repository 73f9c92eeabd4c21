"""Floors measured in the same run: what this machine allows before smsreply does any work.

* ``spawn_floor``: the same CGI script, with the same environment and body smsreply gives
  it, started with ``subprocess.run`` in a loop — one at a time (Kannel's exec model) and
  ``parallel`` at once (smsreply's ``cgi.max_running``).
* ``app_floor`` (in ``run.py``): the empty WSGI app under the same gunicorn config, fed by
  the same load generator — the web layer alone.
* ``wire_floor``: the load generator against the sink's customer app — how fast the
  bench's own parts go, so neither can be what limits an action.

Example::

    spawn_floor(Path("bench/cgi-bin/answer.sh"), seconds=2, parallel=8)  # runs/s
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import threading
import time
from pathlib import Path

from smsreply.cgi import build_environ, build_request
from testkit.gunicorn import process_usage
from testkit.load import fire
from testkit.wire import request

FIELDS = {"shortcode": "38000", "tag": "sr1", "id": "x1", "senderid": "+33612345678"}


def script_input(script: Path) -> tuple[dict[str, str], bytes]:
    fields = dict(FIELDS, message="OUI")
    extra = {"SENDER": fields["senderid"], "MESSAGE": "OUI", "SHORTCODE": "38000"}
    return build_environ(
        build_request(fields, extra), script.name, "smsreply", script_filename=str(script)
    )


def spawn_floor(script: Path, seconds: float, parallel: int = 1) -> float:
    """Runs per second of ``script`` over about ``seconds``, ``parallel`` at a time."""
    environ, body = script_input(script)
    deadline = time.monotonic() + seconds
    counts = [0] * parallel

    def loop(slot: int) -> None:
        while time.monotonic() < deadline:
            done = subprocess.run(
                [str(script)], input=body, env=environ, cwd=script.parent, capture_output=True
            )
            if done.returncode != 0 or b"Merci" not in done.stdout:
                raise RuntimeError(f"{script.name} failed: {done.stderr[-300:]!r}")
            counts[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(slot,)) for slot in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def wire_floor(sink, count: int, concurrency: int) -> dict:
    """The generator against the sink's ``/app``: requests/s and CPU per request of each."""
    host = f"127.0.0.1:{sink.port}"
    requests = [request("POST", "/app", host, b"shortcode=38000&message=OUI")] * count
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    sink_before = process_usage([sink.process.pid])
    started = time.monotonic()
    shots = asyncio.run(fire("127.0.0.1", sink.port, requests, concurrency))
    elapsed = time.monotonic() - started
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    sink_cpu = (process_usage([sink.process.pid]) - sink_before).cpu_seconds
    own_cpu = (own_after.ru_utime + own_after.ru_stime) - (
        own_before.ru_utime + own_before.ru_stime
    )
    answered = sum(shot.status == 200 for shot in shots)
    return {
        "requests_per_second": round(answered / elapsed),
        "generator_us_per_request": round(own_cpu / answered * 1e6, 1),
        "sink_us_per_request": round(sink_cpu / answered * 1e6, 1),
    }
