"""Find and run one customer CGI script safely: no shell, bounded time, bounded memory.

``resolve_script`` keeps scripts inside the cgi-bin directory and checks that the
script can start: a ``#!`` line (not ending in CR), or an interpreter mapped to its
extension (``cgi.interpreters``: Apache and lighttpd run ``.php`` files that way, so
scripts written for them carry no ``#!`` line). ``run_script`` starts the script by its
``#!`` line, or as ``<interpreter> <script>``, in a new session (so it leads its own process group),
feeds the body on stdin and drains stdout and stderr with one ``poll`` loop (no
helper threads), watching the script's exit through a pidfd. When the script exits,
the whole process group is SIGKILLed before the script is reaped: background
children it left behind (``sleep 100 &``), even ones still holding our pipes, die
with it and cannot keep us waiting. At the wall-clock deadline the group is killed
too. A grandchild that calls ``setsid`` itself escapes the group; only a container
or cgroup can catch that. How many scripts run at once is ``slots.py``'s job.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_READ_SIZE = 65536
# No shell; a new session so the script leads a process group we can kill whole; no
# inherited fds. No preexec_fn, so CPython can spawn with vfork (cheaper than fork).
_PIPE = subprocess.PIPE
_SPAWN = dict(stdin=_PIPE, stdout=_PIPE, stderr=_PIPE, start_new_session=True, close_fds=True)


class CgiConfigError(Exception):
    """The configured script cannot be run; the message says how to fix it."""


class ScriptNotFound(CgiConfigError):
    """No such script in the cgi-bin directory."""


class ScriptNotAllowed(CgiConfigError):
    """The script name or file breaks a rule (outside cgi-bin, not executable...)."""


@dataclass(frozen=True)
class RawRun:
    """What happened to one process; ``spawn_error`` is set when it never started."""

    exit_code: int | None
    signal: int | None
    timed_out: bool
    duration: float
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    spawn_error: str | None = None


def resolve_script(cgi_dir: Path, name: str, interpreters: Mapping[str, str] | None = None) -> Path:
    """Return the real path of script ``name`` inside ``cgi_dir`` or raise CgiConfigError."""
    relative = PurePosixPath(name)
    if not name or "\0" in name or relative.is_absolute() or ".." in relative.parts:
        raise ScriptNotAllowed(f"script name {name!r} must be a relative path without '..'")
    root = os.path.realpath(cgi_dir)
    if not os.path.isdir(root):
        raise ScriptNotFound(f"cgi-bin directory {str(cgi_dir)!r} does not exist")
    real = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([root, real]) != root or real == root:
        raise ScriptNotAllowed(f"script {name!r} resolves outside the cgi-bin directory")
    if not os.path.lexists(real):
        raise ScriptNotFound(f"script {name!r} not found in the cgi-bin directory")
    if not os.path.isfile(real):
        raise ScriptNotAllowed(f"script {name!r} is not a regular file")
    mapped = PurePosixPath(real).suffix.lower() in (interpreters or {})
    if not mapped and not os.access(real, os.X_OK):
        raise ScriptNotAllowed(f"script {name!r} is not executable (chmod +x)")
    return Path(real)


def interpreter_for(script: Path, interpreters: Mapping[str, str]) -> str | None:
    """The interpreter to run ``script`` with, None for its own ``#!`` line or a binary;
    raise ScriptNotAllowed when it cannot start, saying what to fix.

    A file whose extension is mapped but that is not executable runs through the
    interpreter even with a ``#!`` line, as under Apache (php-cgi skips that line)."""
    interpreter = interpreters.get(script.suffix.lower())
    if interpreter is not None and not os.access(script, os.X_OK):
        return interpreter
    try:
        with open(script, "rb") as file:
            first_line = file.read(256).split(b"\n", 1)[0]
    except OSError as problem:
        raise ScriptNotAllowed(f"script {script.name!r} cannot be read: {problem}") from None
    if first_line.startswith(b"#!"):
        if first_line.endswith(b"\r"):
            raise ScriptNotAllowed(
                f"the '#!' line of {script.name!r} ends with CR (Windows line endings): "
                f"convert the file with: sed -i 's/\\r$//' {script.name}"
            )
        return None
    if first_line.startswith(b"\x7fELF"):
        return None
    if interpreter is None:
        mapped = ", ".join(sorted(interpreters)) or "none"
        raise ScriptNotAllowed(
            f"script {script.name!r} has no '#!' line: add one (#!/bin/sh, "
            f"#!/usr/bin/env python3…), or map its extension in cgi.interpreters "
            f"(mapped now: {mapped})"
        )
    return interpreter


def run_script(
    script: Path,
    environ: dict[str, str],
    body: bytes,
    timeout: float,
    max_stdout: int,
    max_stderr: int,
    interpreter: str | None = None,
) -> RawRun:
    """Run ``script`` with ``environ`` and ``body`` on stdin; never raises for script faults.

    With ``interpreter`` (a command looked up in the script's ``PATH``), run
    ``interpreter script`` instead of the script itself."""
    started = time.monotonic()
    argv = [str(script)] if interpreter is None else [interpreter, str(script)]
    try:
        process = subprocess.Popen(argv, cwd=script.parent, env=environ, **_SPAWN)
    except (OSError, ValueError, subprocess.SubprocessError) as problem:
        message = _spawn_message(script, problem, interpreter)
        duration = time.monotonic() - started
        return RawRun(None, None, False, duration, b"", b"", False, False, spawn_error=message)
    try:
        return _communicate(process, body, started, timeout, (max_stdout, max_stderr))
    except BaseException:  # a bug or KeyboardInterrupt: leave no process behind
        _kill_group(process.pid)
        process.wait()
        raise
    finally:
        for pipe in (process.stdin, process.stdout, process.stderr):
            pipe.close()


def _communicate(
    process: subprocess.Popen, body: bytes, started: float, timeout: float, limits: tuple[int, int]
) -> RawRun:
    deadline = started + timeout
    selector = selectors.PollSelector()  # poll: no epoll fd to create per run
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    kept = {out_fd: bytearray(), err_fd: bytearray()}
    limit = {out_fd: limits[0], err_fd: limits[1]}
    truncated = {out_fd: False, err_fd: False}
    pending = {out_fd, err_fd}
    for fd in pending:
        selector.register(fd, selectors.EVENT_READ)
    stdin_fd, sent = process.stdin.fileno(), 0
    if body:
        os.set_blocking(stdin_fd, False)
        selector.register(stdin_fd, selectors.EVENT_WRITE)
        pending.add(stdin_fd)
    else:
        process.stdin.close()
    pidfd = _pidfd_open(process.pid)
    if pidfd is not None:
        selector.register(pidfd, selectors.EVENT_READ)
    exited = timed_out = False
    try:
        while pending or not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                _kill_group(process.pid)
                break
            # Without a pidfd, poll for the exit every 20 ms instead.
            wait = remaining if pidfd is not None or exited else min(remaining, 0.02)
            was_running = not exited
            for key, _ in selector.select(wait):
                if key.fd == pidfd:
                    selector.unregister(pidfd)
                    exited = True
                elif key.fd == stdin_fd:
                    try:
                        sent += os.write(stdin_fd, memoryview(body)[sent : sent + _READ_SIZE])
                    except BrokenPipeError:  # the script does not read stdin: fine
                        sent = len(body)
                    if sent >= len(body):
                        selector.unregister(stdin_fd)
                        pending.discard(stdin_fd)
                        process.stdin.close()
                else:
                    data = os.read(key.fd, _READ_SIZE)
                    if not data:
                        selector.unregister(key.fd)
                        pending.discard(key.fd)
                    room = limit[key.fd] - len(kept[key.fd])
                    kept[key.fd] += data[: max(room, 0)]
                    truncated[key.fd] |= len(data) > room
            if not exited and pidfd is None:
                exited = _has_exited(process.pid)
            if exited and was_running:
                # The leader is a zombie, not yet reaped, so its pid (the group id)
                # cannot have been reused: kill stragglers still holding our pipes.
                _kill_group(process.pid)
    finally:
        selector.close()
        if pidfd is not None:
            os.close(pidfd)
    try:
        returncode = process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # unkillable (D state); subprocess reaps it later
        returncode = None
    return RawRun(
        exit_code=returncode if returncode is not None and returncode >= 0 else None,
        signal=-returncode if returncode is not None and returncode < 0 else None,
        timed_out=timed_out,
        duration=time.monotonic() - started,
        stdout=bytes(kept[out_fd]),
        stderr=bytes(kept[err_fd]),
        stdout_truncated=truncated[out_fd],
        stderr_truncated=truncated[err_fd],
    )


def _pidfd_open(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3
        return None


def _has_exited(pid: int) -> bool:
    # WNOWAIT leaves the zombie in place: its pid (our group id) stays reserved.
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _spawn_message(script: Path, problem: Exception, interpreter: str | None = None) -> str:
    name = script.name
    if interpreter is not None and isinstance(problem, OSError):
        return f"interpreter {interpreter!r} for {name!r} not found or not runnable: {problem}"
    try:
        first_line = script.read_bytes()[:200].split(b"\n", 1)[0]
    except OSError:
        first_line = b""
    if isinstance(problem, OSError) and problem.errno == errno.ENOEXEC:
        return f"cannot execute {name!r}: no '#!' line and not a binary (Exec format error)"
    if isinstance(problem, OSError) and problem.errno == errno.ENOENT and first_line[:2] == b"#!":
        if first_line.endswith(b"\r"):
            return f"the '#!' line of {name!r} ends with CR: convert it to Unix line endings"
        shown = first_line.decode("utf-8", "replace")
        return f"interpreter of {name!r} not found: {shown!r}"
    if isinstance(problem, OSError) and problem.errno == errno.EACCES:
        return f"permission denied running {name!r} (interpreter not executable or noexec mount)"
    return f"cannot start {name!r}: {problem}"
