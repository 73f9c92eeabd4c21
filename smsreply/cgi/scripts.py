"""``ScriptTable``: each cgi-bin script's checks and interpreter, done once per version of the file.

Finding a script (``resolve_script``: its real path inside cgi-bin, a regular executable
file) and choosing how to start it (``interpreter_for``: its ``#!`` line or the interpreter
mapped to its extension) cost a dozen system calls and a read of the file. Their result
only changes when the file does, so it is kept per script name with the identity of the
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
from pathlib import Path

from .runner import ScriptNotAllowed, interpreter_for, resolve_script

SETTLE_SECONDS = 2.0
MAX_KEPT = 256  # distinct script names remembered; past it, start over


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
