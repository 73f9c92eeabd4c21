"""``python -m bench.fastpaths``: each hand-written fast path beside its plain library path.

``server.fast_paths`` chooses between them; this measures what the choice is worth, both
paths in the same run, taking turns (``--repeats`` rounds, the order rotating), each
figure the median over the rounds:

- **spawn** (``cgi/spawn.py``): ``run_script`` of ``bench/cgi-bin/answer.sh``, one run at
  a time, then four threads at once, started by glibc's ``posix_spawn`` through ctypes or
  by ``subprocess.Popen``, while another thread of the process runs Python without pause
  (switch interval 0.5 ms, so that it asks for the GIL often). Figures: wall µs a run
  (four at a time: the round's wall time over its runs), and the µs a run that other
  thread spent waiting for the GIL — its wall time neither on a CPU nor queued for one
  (``/proc/self/task/<tid>/schedstat``): what the spawning thread kept of the GIL, the
  machine's load left out.
- **http** (``providers/http_connections.py``): one POST and its whole answer over a
  kept-alive connection to the bench's sink (its own process), through our ``http.client``
  pool, urllib3's pool, and, for reference, a ``requests.Session``. Figures: this thread's
  CPU µs an exchange, and wall µs.

Example::

    .venv/bin/python -m bench.fastpaths --repeats 9 --runs 200 --sends 1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from smsreply.cgi.runner import run_script
from smsreply.providers.http_connections import DirectConnections, PlainConnections

from .floors import script_input
from .sink import SinkProcess

SCRIPT = Path(__file__).resolve().parent / "cgi-bin" / "answer.sh"


def _on_cpu_or_queued(tid: int) -> int:
    """ns thread ``tid`` has spent on a CPU or waiting for one (Linux's schedstat)."""
    on_cpu, queued, _ = map(int, Path(f"/proc/self/task/{tid}/schedstat").read_text().split())
    return on_cpu + queued


def spawn_round(
    fast: bool, runs: int, parallel: int, environ: dict[str, str], body: bytes
) -> dict[str, float]:
    """Wall µs a run (``parallel`` threads each running ``runs`` scripts), and µs a run
    another, busy thread waited for the GIL meanwhile."""
    stop, started_thread = threading.Event(), threading.Event()
    tid = 0

    def busy() -> None:  # never sleeps: off a CPU and not queued for one = waiting for the GIL
        nonlocal tid
        tid = threading.get_native_id()
        started_thread.set()
        while not stop.is_set():
            pass

    thread = threading.Thread(target=busy)
    thread.start()
    started_thread.wait()

    def run_scripts() -> None:
        for _ in range(runs):
            raw = run_script(SCRIPT, environ, body, 10.0, 65536, 65536, fast_spawn=fast)
            assert raw.exit_code == 0, raw

    spawners = [threading.Thread(target=run_scripts) for _ in range(parallel)]
    running, started = _on_cpu_or_queued(tid), time.perf_counter_ns()
    for spawner in spawners:
        spawner.start()
    for spawner in spawners:
        spawner.join()
    wall = time.perf_counter_ns() - started
    waited = wall - (_on_cpu_or_queued(tid) - running)  # per round: the kernel counts by tick
    stop.set()
    thread.join()
    total = runs * parallel
    return {"run µs": wall / total / 1e3, "GIL wait µs": waited / total / 1e3}


def http_round(exchange: Callable[[], object], sends: int) -> dict[str, float]:
    """This thread's CPU µs and wall µs an exchange."""
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(sends):
        exchange()
    return {
        "CPU µs": (time.thread_time() - cpu) / sends * 1e6,
        "wall µs": (time.perf_counter() - wall) / sends * 1e6,
    }


def http_paths(url: str) -> dict[str, tuple[Callable[[], object], Callable[[], None]]]:
    """Each path as (one exchange, close), posting the same form to ``url``."""
    body = b"id=1&tag=sr1&message=Merci"
    headers = {"User-Agent": "smsreply", "Content-Type": "application/x-www-form-urlencoded"}
    bundle = requests.certs.where()
    fast, plain = DirectConnections(url, 10.0, bundle), PlainConnections(10.0, bundle)
    session = requests.Session()
    session.trust_env = False  # as connections_to: the environment read once, not per request

    def via_requests() -> object:
        answer = session.post(url, data=body, headers=headers, timeout=10.0)
        return answer.content

    return {
        "http.client pool": (lambda: fast.exchange("POST", url, body, headers), fast.close),
        "urllib3 pool": (lambda: plain.exchange("POST", url, body, headers), plain.close),
        "requests.Session": (via_requests, session.close),
    }


def rounds(variants: dict[str, Callable[[], dict]], repeats: int) -> dict[str, dict]:
    """Each variant once a round, the order rotating; the median of each figure."""
    names, seen = list(variants), {name: [] for name in variants}
    for repeat in range(repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            seen[name].append(variants[name]())
    return {
        name: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for name, results in seen.items()
    }


def show(title: str, medians: dict[str, dict], base: str, key: str) -> None:
    print(f"\n{title}")
    for name, figures in medians.items():
        shown = "  ".join(f"{k} {v:8.0f}" for k, v in figures.items())
        ratio = figures[key] / medians[base][key]
        print(f"  {name:18} {shown}  ({key}: {ratio:.2f} × {base})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9, help="rounds, each path once a round")
    parser.add_argument("--runs", type=int, default=200, help="scripts a round")
    parser.add_argument("--sends", type=int, default=1000, help="HTTP exchanges a round")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    environ, body = script_input(SCRIPT)
    sys.setswitchinterval(0.0005)
    spawn_round(True, 20, 1, environ, body)  # warm: code loaded, page cache filled
    for parallel in (1, 4):
        spawn = {
            "posix_spawn": lambda p=parallel: spawn_round(True, args.runs // p, p, environ, body),
            "Popen": lambda p=parallel: spawn_round(False, args.runs // p, p, environ, body),
        }
        title = f"spawn (run_script of answer.sh, {parallel} at a time)"
        show(title, rounds(spawn, args.repeats), "Popen", "run µs")
    with SinkProcess() as sink:
        paths = http_paths(f"{sink.url}/app")
        for exchange, _ in paths.values():  # warm: connections open, code loaded
            http_round(exchange, 50)
        http = {
            name: (lambda e=exchange: http_round(e, args.sends))
            for name, (exchange, _) in paths.items()
        }
        show("http (POST /app, kept alive)", rounds(http, args.repeats), "urllib3 pool", "CPU µs")
        for _, close in paths.values():
            close()
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
