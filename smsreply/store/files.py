"""The database's files are private: its folder 0700, the file 0600, whatever the umask.

The database holds the session-signing key, the callback token and the API key's hash:
a copy is enough to log in as admin. ``create_private`` makes a missing folder and file
with owner-only modes before SQLite opens them (SQLite gives the ``-wal`` and ``-shm``
files the database file's mode); ``loose_permissions`` names what others can read or
write, for ``smsreply info`` to warn about (files made before this, or copied since).

Example::

    create_private(Path("var/smsreply.db"))
    loose_permissions(Path("var/smsreply.db"))  # ["var is 0755: ..."] or []
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SUFFIXES = ("", "-wal", "-shm")


def create_private(path: Path) -> None:
    """Make ``path``'s folder (0700) and an empty ``path`` (0600) when they do not exist."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)  # the umask may have taken bits from mkdir's mode
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another worker made it first
            return
        os.fchmod(descriptor, 0o600)
        os.close(descriptor)


def loose_permissions(path: Path) -> list[str]:
    """One line per file or folder of the database that group or others may access."""
    problems = []
    for target, private in [(path.parent, 0o700)] + [
        (Path(f"{path}{suffix}"), 0o600) for suffix in SUFFIXES
    ]:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            problems.append(
                f"{target} is {mode:04o}: other users of this machine can read it; "
                f"run chmod {private:o} {target}"
            )
    return problems
