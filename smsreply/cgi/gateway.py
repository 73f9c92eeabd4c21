"""``CgiGateway``: resolve a cgi-bin script, build its CGI environment, run it, judge the output.

One gateway is built per application (it holds the per-process side of the
concurrency cap) from explicit settings. ``run`` raises ``CgiConfigError`` only
for configuration mistakes (bad script name, missing or non-executable file);
every fault of the script itself, including a failed exec and a full house of
running scripts (``busy``), comes back as a ``CgiRun`` whose outcome says what
happened. The wait for a free slot is bounded by half the timeout and counts
against it, so a run never takes longer than ``timeout`` in all.

Example::

    gateway = CgiGateway(Path("cgi-bin"), timeout=10, lock_dir=Path("var/locks"))
    run = gateway.run("weather.sh", build_request(fields, {"SENDER": sender}))
    if run.outcome.kind == "answer":
        send(run.outcome.answer)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..monitoring import metrics
from .environ import CgiRequest, build_environ
from .output import ANSWER_TYPES, CgiOutcome, decide
from .runner import RawRun, run_script
from .scripts import Script, ScriptNotAllowed, ScriptTable
from .slots import ConcurrencyCap

DEFAULT_INTERPRETERS = {".php": "php-cgi"}  # as Apache's and lighttpd's PHP handlers

STDOUT_EXCERPT_BYTES = 2048
STDERR_KEPT_BYTES = 8192


@dataclass(frozen=True)
class CgiRun:
    """The record of one run, for the reply action, the log and the test console."""

    script: str
    outcome: CgiOutcome
    exit_code: int | None
    signal: int | None
    duration: float  # seconds the script ran
    stdout_excerpt: str
    stderr: str
    environ: dict[str, str]  # what the script saw
    queued: float = 0.0  # seconds spent waiting for a free slot


class CgiGateway:
    """Runs cgi-bin scripts under a timeout, output caps and a concurrency cap."""

    def __init__(
        self,
        cgi_dir: Path,
        timeout: float = 10.0,
        max_stdout: int = 65536,
        max_stderr: int = 65536,
        max_running: int = 8,
        max_answer_chars: int = 1600,
        lock_dir: Path | None = None,
        server_software: str = "smsreply",
        interpreters: Mapping[str, str] | None = None,
        answer_types: tuple[str, ...] = ANSWER_TYPES,
        fast_spawn: bool = True,
    ) -> None:
        self.cgi_dir = Path(cgi_dir)
        self.timeout = timeout
        self.max_stdout = max_stdout
        self.max_stderr = max_stderr
        self.max_answer_chars = max_answer_chars
        self.server_software = server_software
        self.interpreters = dict(DEFAULT_INTERPRETERS if interpreters is None else interpreters)
        self.answer_types = answer_types
        self.fast_spawn = fast_spawn  # False: Popen, the plain path (server.fast_paths)
        self.cap = ConcurrencyCap(lock_dir, max_running)
        self.scripts = ScriptTable(self.cgi_dir, self.interpreters)

    def check(self, script_name: str) -> Path:
        """Return the script's real path, or raise CgiConfigError saying what is wrong."""
        script = self.scripts.find(script_name)
        if script.problem is not None:
            raise ScriptNotAllowed(script.problem)
        return script.path

    def run(self, script_name: str, request: CgiRequest) -> CgiRun:
        """Run ``script_name`` for ``request``; raise CgiConfigError for a bad script."""
        script = self.scripts.find(script_name)
        name = PurePosixPath(script_name).as_posix()
        environ, body = build_environ(
            request, name, self.server_software, script_filename=str(script.path)
        )
        if script.problem is not None:  # edited since it was saved: it cannot start
            spawn = CgiOutcome("error", error="spawn", reason=script.problem)
            metrics.script_ran("spawn", 0.0)
            return CgiRun(name, spawn, None, None, 0.0, "", "", environ)
        raw, queued = self.spawn(script, environ, body)
        if raw is None:
            busy = CgiOutcome(
                "error",
                error="busy",
                reason=f"all {self.cap.slots} script slots stayed busy for {queued:.1f} s",
            )
            metrics.script_ran("busy", queued)
            return CgiRun(name, busy, None, None, 0.0, "", "", environ, queued)
        metrics.script_ran(exit_class(raw), raw.duration)
        return CgiRun(
            script=name,
            outcome=decide(raw, self.max_answer_chars, self.answer_types),
            exit_code=raw.exit_code,
            signal=raw.signal,
            duration=raw.duration,
            stdout_excerpt=raw.stdout[:STDOUT_EXCERPT_BYTES].decode("utf-8", "replace"),
            stderr=raw.stderr[-STDERR_KEPT_BYTES:].decode("utf-8", "replace"),
            environ=environ,
            queued=queued,
        )

    def spawn(
        self, script: Script, environ: dict[str, str], body: bytes
    ) -> tuple[RawRun | None, float]:
        """Our side of the script: wait for a slot, start the script, feed it, read it, reap
        it. Returns its raw run (None when every slot stayed busy) and the seconds queued.
        (The bench charges this to ``spawn``: ``monitoring/cputime.py``.)"""
        started = time.monotonic()
        slot = self.cap.acquire(started + self.timeout / 2)
        queued = time.monotonic() - started
        if slot is None:
            return None, queued
        try:
            raw = run_script(
                script.path,
                environ,
                body,
                self.timeout - queued,
                self.max_stdout,
                self.max_stderr,
                script.interpreter,
                self.fast_spawn,
            )
        finally:
            self.cap.release(slot)
        return raw, queued


def exit_class(raw: RawRun) -> str:
    """How a script ended, in one bounded word (the metrics' label)."""
    if raw.spawn_error is not None:
        return "spawn"
    if raw.timed_out:
        return "timeout"
    if raw.signal is not None:
        return "signal"
    return "ok" if raw.exit_code == 0 else "error"
