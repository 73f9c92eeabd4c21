"""Find a customer's script in cgi-bin and choose how to start it, once per version of the file.

``resolve_script`` keeps scripts inside the cgi-bin directory and checks that the script
can start; ``interpreter_for`` chooses how: its ``#!`` line (not ending in CR), or the
interpreter mapped to its extension (``cgi.interpreters``: Apache and lighttpd run
``.php`` files that way, so scripts written for them carry no ``#!`` line). Together they
cost a dozen system calls and a read of the file, and their result only changes when the
file does: ``ScriptTable`` keeps it per script name with the identity of the
file it was found in: device, inode, size, modification and change times, mode and owner.
Each run then costs one ``stat`` of the name: a script edited, replaced, retargeted by a
symlink, made non-executable or chowned has another identity and is checked again. A file
modified less than ``SETTLE_SECONDS`` ago is not kept: file system clocks are coarse, and
a second write in the same tick would leave the identity unchanged (git's "racy clean").

Example::

    scripts = ScriptTable(Path("cgi-bin"), {".php": "php-cgi"})
    script = scripts.find("weather.sh")  # raises CgiConfigError for a bad script
    if script.problem is None:
        run_script(script.path, environ, body, 10, 65536, 65536, script.interpreter)
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SETTLE_SECONDS = 2.0
MAX_KEPT = 256  # distinct script names remembered; past it, start over


class CgiConfigError(Exception):
    """The configured script cannot be run; the message says how to fix it."""


class ScriptNotFound(CgiConfigError):
    """No such script in the cgi-bin directory."""


class ScriptNotAllowed(CgiConfigError):
    """The script name or file breaks a rule (outside cgi-bin, not executable...)."""


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


@dataclass(frozen=True)
class Script:
    """A script found in cgi-bin: how to start it, or why it cannot start."""

    path: Path
    interpreter: str | None
    problem: str | None  # set when the file cannot start (no '#!' line, CR...)
    identity: tuple[int, ...]


class ScriptTable:
    """The scripts of one cgi-bin directory, checked again whenever their file changes."""

    def __init__(self, cgi_dir: Path, interpreters: Mapping[str, str]) -> None:
        self.cgi_dir, self.interpreters = Path(cgi_dir), interpreters
        self._kept: dict[str, Script] = {}

    def find(self, name: str) -> Script:
        """The script ``name``; raise CgiConfigError when it is missing or not allowed."""
        kept = self._kept.get(name)
        if kept is not None and _identity_of(os.path.join(self.cgi_dir, name)) == kept.identity:
            return kept
        path = resolve_script(self.cgi_dir, name, self.interpreters)
        status = os.stat(path)
        try:
            script = Script(path, interpreter_for(path, self.interpreters), None, _identity(status))
        except ScriptNotAllowed as problem:  # edited since it was saved: that run fails
            script = Script(path, None, str(problem), _identity(status))
        if time.time() - status.st_mtime > SETTLE_SECONDS:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            self._kept[name] = script
        else:
            self._kept.pop(name, None)
        return script


def _identity(status: os.stat_result) -> tuple[int, ...]:
    return (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
        status.st_mode,
        status.st_uid,
        status.st_gid,
    )


def _identity_of(path: str) -> tuple[int, ...] | None:
    try:
        return _identity(os.stat(path))  # follows symlinks, as the resolution did
    except (OSError, ValueError):  # gone, or a name with NUL: check it again in full
        return None
