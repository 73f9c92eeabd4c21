"""``python -m bench.cgi_overhead``: what smsreply's CGI gateway adds to spawning a script.

Runs the same script, with the same environment and body, in one process, one run at a
time, through: the whole gateway (``CgiGateway.run``: resolve, environment, slot, run,
judge), ``run_script`` alone (our process handling), a bare ``subprocess.run`` and a bare
``os.posix_spawn`` with pipes. The variants take turns (``--repeats`` rounds of ``--runs``
runs each, in a rotating order) and each figure is the median over the rounds: wall time,
this process's CPU (all threads) and the children's CPU, in µs per run. The gateway minus
the bare spawn is our plumbing.

Example::

    python -m bench.cgi_overhead --script bench/cgi-bin/answer.sh --repeats 15 --runs 200
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from smsreply.cgi import CgiGateway, build_request
from smsreply.cgi.runner import run_script

from .floors import FIELDS, script_input

SCRIPT = Path(__file__).resolve().parent / "cgi-bin" / "answer.sh"


def bare_subprocess(script: Path, environ: dict[str, str], body: bytes) -> bytes:
    done = subprocess.run(
        [str(script)], input=body, env=environ, cwd=script.parent, capture_output=True
    )
    return done.stdout


def bare_posix_spawn(script: Path, environ: dict[str, str], body: bytes) -> bytes:
    """Spawn with pipes and a cwd, write the body, read stdout to EOF, reap: no more."""
    stdin_read, stdin_write = os.pipe2(os.O_CLOEXEC)
    stdout_read, stdout_write = os.pipe2(os.O_CLOEXEC)
    here = os.getcwd()
    os.chdir(script.parent)  # posix_spawn has no cwd before Python 3.13's chdir action
    try:
        pid = os.posix_spawn(
            str(script),
            [str(script)],
            environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, stdin_read, 0),
                (os.POSIX_SPAWN_DUP2, stdout_write, 1),
            ],
            setsid=True,
        )
    finally:
        os.chdir(here)
    os.close(stdin_read)
    os.close(stdout_write)
    with contextlib.suppress(BrokenPipeError):  # a script need not read its body
        os.write(stdin_write, body)
    os.close(stdin_write)
    chunks = []
    while chunk := os.read(stdout_read, 65536):
        chunks.append(chunk)
    os.close(stdout_read)
    os.waitpid(pid, 0)
    return b"".join(chunks)


def variants(script: Path, lock_dir: Path) -> dict[str, Callable[[], bytes]]:
    environ, body = script_input(script)
    gateway = CgiGateway(script.parent, timeout=10, lock_dir=lock_dir)
    fields = dict(FIELDS, message="OUI")
    extra = {"SENDER": fields["senderid"], "MESSAGE": "OUI", "SHORTCODE": "38000"}
    request = build_request(fields, extra)
    return {
        "gateway": lambda: gateway.run(script.name, request).outcome.answer.encode(),
        "run_script": lambda: run_script(script, environ, body, 10, 65536, 65536).stdout,
        "subprocess.run": lambda: bare_subprocess(script, environ, body),
        "posix_spawn": lambda: bare_posix_spawn(script, environ, body),
    }


def measure(run: Callable[[], bytes], runs: int) -> tuple[float, float, float]:
    """(wall, own CPU, children's CPU) in µs per run."""
    own, kids = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN
    before = resource.getrusage(own), resource.getrusage(kids)
    started = time.perf_counter()
    for _ in range(runs):
        if b"Merci" not in run():
            raise RuntimeError("the script did not answer")
    wall = time.perf_counter() - started
    after = resource.getrusage(own), resource.getrusage(kids)

    def cpu(index: int) -> float:
        return (after[index].ru_utime + after[index].ru_stime) - (
            before[index].ru_utime + before[index].ru_stime
        )

    return wall / runs * 1e6, cpu(0) / runs * 1e6, cpu(1) / runs * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cgi_overhead", description=__doc__)
    parser.add_argument("--script", type=Path, default=SCRIPT)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as lock_dir:
        runs = variants(args.script.resolve(), Path(lock_dir))
        names = list(runs)
        figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
        for name in names:  # warm up
            measure(runs[name], 20)
        for repeat in range(args.repeats):
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                figures[name].append(measure(runs[name], args.runs))
    print(f"{args.script.name}: medians of {args.repeats} rounds of {args.runs} runs, µs a run")
    print(f"{'variant':<16} {'wall':>8} {'own CPU':>8} {'children':>8}")
    for name in names:
        wall, own, kids = (statistics.median(column) for column in zip(*figures[name], strict=True))
        print(f"{name:<16} {wall:8.0f} {own:8.0f} {kids:8.0f}")


if __name__ == "__main__":
    main()
