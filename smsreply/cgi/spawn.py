"""``spawn``: start a script without stopping the server's other threads while it starts.

``subprocess.Popen`` and ``os.posix_spawn`` keep the GIL while the new process starts: the
calling thread waits, GIL held, until the child has called ``exec``, which on a loaded
machine takes milliseconds (the child waits for a CPU). Every other thread of the worker —
callbacks, answers being sent — waits with it: measured in a paced bench, the slowest 5 %
of those threads' steps spent half their time inside another thread's spawn. glibc's
``posix_spawn`` called through ``ctypes`` (which releases the GIL around a foreign call)
starts the child the same way (``clone`` with ``CLONE_VFORK``) and lets them run. It keeps
what ``Popen`` guaranteed: argv, no shell, exactly the given environment, the script's
directory as cwd, a new session, the three pipes as fds 0–2 and no other fd, SIGPIPE and
SIGXFSZ back to their defaults, no blocked signal (glibc leaves its two internal signals,
32 and 33, ignored in the child, as with ``os.posix_spawn``: no program sees them).

``Popen`` is the plain path: chosen by ``fast=False`` (``server.fast_paths = false``), or
where glibc lacks one of the calls (before 2.34, or another libc). ``tests/test_cgi_runner.py``
runs every script test over both with the same assertions. Measured gain, by
``python -m bench.fastpaths`` (both paths in turns, medians of 11–15 rounds of 300 runs,
Python 3.11.7, glibc 2.36, 2 CPUs at load 8–15, another thread busy with Python): with
**four threads starting scripts at once, a run's share of the wall time is 0.71–0.74×**
``Popen``'s (3.2–3.3 against 4.4–4.5 ms: 1.35–1.41× the scripts a second); one at a time,
none (0.90–1.10×, 6.4–8.4 ms a run), and the busy thread waited for the GIL as long with
either (28–66 µs a run, 0.91–1.12×): ``Popen``'s ``vfork`` holds the GIL only until the
child's ``exec``, which here comes within microseconds.

Example::

    script = "/srv/cgi-bin/weather.sh"
    pid = spawn(script, [script], environ, "/srv/cgi-bin", (stdin, stdout, stderr))
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import subprocess

_SETSID, _SETSIGDEF, _SETSIGMASK = 0x80, 0x04, 0x08  # glibc's POSIX_SPAWN_* flags
_OPAQUE_BYTES = 1024  # room for glibc's opaque structs (80, 336 and 128 bytes on x86-64)


@functools.cache
def _glibc():
    """glibc's spawn calls, or None when this libc lacks one (read once, on first use)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library Python itself runs on
    except OSError:
        return None
    # addchdir_np since glibc 2.29, addclosefrom_np since 2.34: both or Popen.
    needed = ("posix_spawn_file_actions_addchdir_np", "posix_spawn_file_actions_addclosefrom_np")
    if not all(hasattr(libc, name) for name in needed):
        return None
    libc.posix_spawnattr_setflags.argtypes = [ctypes.c_void_p, ctypes.c_short]
    return libc


def spawn(
    executable: str,
    argv: list[str],
    environ: dict[str, str],
    cwd: str,
    stdio: tuple[int, int, int],
    fast: bool = True,
) -> int:
    """Start ``executable`` (a path) and return its pid; raise OSError if it cannot start.

    ``fast=False`` (``server.fast_paths = false``) takes ``Popen``'s plain path."""
    libc = _glibc() if fast else None
    if libc is None:
        return _popen(executable, argv, environ, cwd, stdio)
    actions, attributes = _opaque(), _opaque()
    signals = _opaque()
    libc.posix_spawn_file_actions_init(actions)
    libc.posix_spawnattr_init(attributes)
    try:
        for fd, target in zip(stdio, (0, 1, 2), strict=True):
            libc.posix_spawn_file_actions_adddup2(actions, fd, target)
        libc.posix_spawn_file_actions_addchdir_np(actions, os.fsencode(cwd))
        libc.posix_spawn_file_actions_addclosefrom_np(actions, 3)
        libc.sigemptyset(signals)
        libc.posix_spawnattr_setsigmask(attributes, signals)
        for number in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them; scripts must not
            libc.sigaddset(signals, number)
        libc.posix_spawnattr_setsigdefault(attributes, signals)
        libc.posix_spawnattr_setflags(attributes, _SETSID | _SETSIGDEF | _SETSIGMASK)
        pid = ctypes.c_int()
        failed = libc.posix_spawn(
            ctypes.byref(pid),
            os.fsencode(executable),
            actions,
            attributes,
            _strings(argv),
            _strings(f"{name}={value}" for name, value in environ.items()),
        )
    finally:
        libc.posix_spawn_file_actions_destroy(actions)
        libc.posix_spawnattr_destroy(attributes)
    if failed:
        raise OSError(failed, os.strerror(failed), executable)
    return pid.value


def _opaque():
    return ctypes.create_string_buffer(_OPAQUE_BYTES)


def _strings(items) -> ctypes.Array:
    encoded = [os.fsencode(item) for item in items]
    if any(b"\0" in item for item in encoded):  # C would cut the string there
        raise ValueError("embedded null byte")
    return (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)


def _popen(
    executable: str, argv: list[str], environ: dict[str, str], cwd: str, stdio: tuple[int, int, int]
) -> int:
    stdin, stdout, stderr = stdio
    process = subprocess.Popen(
        argv,
        executable=executable,
        cwd=cwd,
        env=environ,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        close_fds=True,
    )
    process.returncode = 0  # reaped by the caller with os.waitpid, not by this object
    return process.pid
