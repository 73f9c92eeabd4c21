"""Run one customer CGI script safely: no shell, bounded time, bounded memory.

``run_script`` starts the script by its ``#!`` line, or as ``<interpreter> <script>``
(``scripts.py`` finds it and chooses; ``spawn.py`` starts it without holding the GIL), in a
new session (so it leads its own process group), with its directory as cwd and an
environment from scratch, writes the body on stdin and drains stdout and stderr with one
``poll`` loop (no helper threads), watching the script's exit through a pidfd. When the
script exits, the whole process group is SIGKILLed before the script is reaped: background
children it left behind (``sleep 100 &``), even ones still holding our pipes, die with it
and cannot keep us waiting. At the wall-clock deadline the group is killed too. A
grandchild that calls ``setsid`` itself escapes the group; only a container or cgroup can
catch that. How many scripts run at once is ``slots.py``'s job.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from .spawn import spawn

_READ_SIZE = 65536
_REAP_SECONDS = 5.0
_unreaped: set[int] = set()  # killed scripts stuck in the kernel (D state), reaped later


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


def run_script(
    script: Path,
    environ: dict[str, str],
    body: bytes,
    timeout: float,
    max_stdout: int,
    max_stderr: int,
    interpreter: str | None = None,
    fast_spawn: bool = True,
) -> RawRun:
    """Run ``script`` with ``environ`` and ``body`` on stdin; never raises for script faults.

    With ``interpreter`` (a command looked up in the script's ``PATH``), run
    ``interpreter script`` instead of the script itself. ``fast_spawn=False`` starts it
    with ``subprocess.Popen`` instead of glibc's ``posix_spawn`` (``spawn.py``)."""
    started = time.monotonic()
    argv = [str(script)] if interpreter is None else [interpreter, str(script)]
    _reap_stragglers()
    stdin, to_stdin = os.pipe2(os.O_CLOEXEC)
    from_stdout, stdout = os.pipe2(os.O_CLOEXEC)
    from_stderr, stderr = os.pipe2(os.O_CLOEXEC)
    ours = {to_stdin, from_stdout, from_stderr}  # each closed once, whatever happens
    try:
        try:
            executable = argv[0] if interpreter is None else _command(interpreter, environ)
            stdio = (stdin, stdout, stderr)
            pid = spawn(executable, argv, environ, str(script.parent), stdio, fast_spawn)
        finally:
            for fd in (stdin, stdout, stderr):  # the child has its copies
                os.close(fd)
    except (OSError, ValueError) as problem:
        for fd in ours:
            os.close(fd)
        message = _spawn_message(script, problem, interpreter)
        duration = time.monotonic() - started
        return RawRun(None, None, False, duration, b"", b"", False, False, spawn_error=message)
    try:
        fds = (to_stdin, from_stdout, from_stderr)
        return _communicate(pid, fds, ours, body, started, timeout, (max_stdout, max_stderr))
    except BaseException:  # a bug or KeyboardInterrupt: leave no process behind
        _kill_group(pid)
        _reap(pid)
        raise
    finally:
        for fd in ours:
            os.close(fd)


def _communicate(
    pid: int,
    fds: tuple[int, int, int],
    ours: set[int],
    body: bytes,
    started: float,
    timeout: float,
    limits: tuple[int, int],
) -> RawRun:
    to_stdin, out_fd, err_fd = fds
    deadline = started + timeout
    poller = select.poll()  # poll: no epoll fd to create per run
    kept = {out_fd: bytearray(), err_fd: bytearray()}
    limit = {out_fd: limits[0], err_fd: limits[1]}
    truncated = {out_fd: False, err_fd: False}
    pending = {out_fd, err_fd}
    for fd in pending:
        poller.register(fd, select.POLLIN)
    # Most bodies fit in the pipe at once: written before the first poll, stdin is closed.
    os.set_blocking(to_stdin, False)
    sent = _feed(to_stdin, body, 0)
    if sent < len(body):
        poller.register(to_stdin, select.POLLOUT)
        pending.add(to_stdin)
    else:
        _close(to_stdin, ours)
    pidfd = _pidfd_open(pid)
    if pidfd is not None:
        poller.register(pidfd, select.POLLIN)
    exited = timed_out = False
    try:
        while pending or not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                _kill_group(pid)
                break
            # Without a pidfd, poll for the exit every 20 ms instead.
            wait = remaining if pidfd is not None or exited else min(remaining, 0.02)
            was_running = not exited
            for fd, _ in poller.poll(wait * 1000):
                if fd == pidfd:
                    poller.unregister(pidfd)
                    exited = True
                elif fd == to_stdin:
                    sent = _feed(to_stdin, body, sent)
                    if sent >= len(body):
                        poller.unregister(to_stdin)
                        pending.discard(to_stdin)
                        _close(to_stdin, ours)
                else:
                    data = os.read(fd, _READ_SIZE)
                    if not data:
                        poller.unregister(fd)
                        pending.discard(fd)
                    room = limit[fd] - len(kept[fd])
                    kept[fd] += data[: max(room, 0)]
                    truncated[fd] |= len(data) > room
            if not exited and pidfd is None:
                exited = _has_exited(pid)
            if exited and was_running:
                # The leader is a zombie, not yet reaped, so its pid (the group id)
                # cannot have been reused: kill stragglers still holding our pipes.
                _kill_group(pid)
    finally:
        if pidfd is not None:
            os.close(pidfd)
    returncode = _reap(pid)
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


def _feed(fd: int, body: bytes, sent: int) -> int:
    """Write what the pipe takes of ``body`` from ``sent`` on; return the new ``sent``."""
    try:
        while sent < len(body):
            sent += os.write(fd, memoryview(body)[sent : sent + _READ_SIZE])
    except BlockingIOError:  # the pipe is full: poll says when it has room
        pass
    except BrokenPipeError:  # the script does not read stdin: fine
        sent = len(body)
    return sent


def _close(fd: int, ours: set[int]) -> None:
    ours.discard(fd)
    os.close(fd)


def _command(name: str, environ: dict[str, str]) -> str:
    """The path of command ``name`` (an interpreter) in the script's own ``PATH``."""
    found = shutil.which(name, path=environ.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return found


def _reap(pid: int) -> int | None:
    """The exit code (negative: the signal) of an exited or killed script; None if it is
    still not dead after ``_REAP_SECONDS`` (stuck in the kernel): a later run reaps it."""
    deadline = time.monotonic() + _REAP_SECONDS
    while not (reaped := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            _unreaped.add(pid)
            return None
        time.sleep(0.01)
    return os.waitstatus_to_exitcode(reaped[1])


def _reap_stragglers() -> None:
    for pid in list(_unreaped):
        with contextlib.suppress(ChildProcessError):
            if not os.waitpid(pid, os.WNOHANG)[0]:
                continue
        _unreaped.discard(pid)


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
