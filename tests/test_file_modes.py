"""The database is not world-readable (issue 10, item 7).

``var/`` was 0755 and ``smsreply.db``, ``-wal``, ``-shm`` 0644: any local user could copy
the session key and the callback token. Now the folder is made 0700 and the files 0600
whatever the umask, and ``smsreply info`` warns about files that are wider.
"""

import os
import stat
import subprocess
import sys

import pytest

from smsreply.store import Store
from tests.support.servers import ROOT


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_folder_and_files_are_private_whatever_the_umask(tmp_path, umask):
    path = tmp_path / "var" / "smsreply.db"
    previous = os.umask(umask)
    try:
        store = Store(path)
        store.migrate()
        store.set_option("probe", 1)  # the -wal and -shm files exist while it is open
        modes = {name: mode(f"{path}{name}") for name in ("", "-wal", "-shm")}
        store.close()
    finally:
        os.umask(previous)
    assert mode(path.parent) == 0o700
    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def cli(tmp_path, *args: str, umask: int = 0o022) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SMSREPLY_DATABASE_PATH": str(tmp_path / "var" / "smsreply.db"),
    }
    return subprocess.run(
        [sys.executable, "-m", "smsreply.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        umask=umask,
        check=True,
    )


def test_init_makes_private_files_and_info_warns_when_they_are_not(tmp_path):
    cli(tmp_path, "init", umask=0o000)
    folder, database = tmp_path / "var", tmp_path / "var" / "smsreply.db"
    assert (mode(folder), mode(database)) == (0o700, 0o600)
    assert "warning" not in cli(tmp_path, "info").stderr
    folder.chmod(0o755)
    database.chmod(0o644)
    warned = cli(tmp_path, "info").stderr
    assert f"{folder} is 0755" in warned and "chmod 700" in warned
    assert f"{database} is 0644" in warned and "chmod 600" in warned
