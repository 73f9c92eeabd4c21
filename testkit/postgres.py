"""A private PostgreSQL server for the tests and the benchmark, in a temporary folder.

Debian's ``postgresql`` package (``tests/system-deps.sh`` installs it) gives ``initdb`` and
``pg_ctl``; the cluster listens on a free 127.0.0.1 port and its socket folder only, trusts
loopback connections (nothing else can reach it) and, for tests, skips fsync. The
server refuses to run as root: as root, the folder is given to the ``postgres`` user the
package creates and the commands run as that user.

Example::

    with PrivateCluster() as cluster:
        url = cluster.create_database("demo")  # postgresql://postgres@127.0.0.1:PORT/demo
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from .ports import free_port

SUPERUSER = "postgres"
# Enough connections for two hosts' pools and many tests; loopback only.
COMMON = "-c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=64MB"
# Tests: throw-away data, durability off.
THROWAWAY = f"{COMMON} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
# The bench: as durable as SQLite's WAL with synchronous=NORMAL (a crash of the server
# loses nothing; a power cut may lose the last commits, never corrupts).
DURABLE = f"{COMMON} -c synchronous_commit=off"


class PostgresMissing(RuntimeError):
    """initdb/pg_ctl are not installed (tests/system-deps.sh installs them)."""


def find_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresMissing("PostgreSQL is not installed (initdb not found): tests/system-deps.sh")


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


class PrivateCluster:
    def __init__(self, options: str = THROWAWAY) -> None:
        self.options = options
        self.bindir = find_bindir()
        self.root: Path | None = None
        self.port = 0

    def __enter__(self) -> PrivateCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> PrivateCluster:
        self.root = Path(tempfile.mkdtemp(prefix="smsreply-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam(SUPERUSER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        data = self.root / "data"
        self._run(
            str(self.bindir / "initdb"),
            f"--pgdata={data}",
            f"--username={SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self.port = free_port()
        return self.resume()

    def resume(self) -> PrivateCluster:
        """Start the server (again, after ``pause``), on the same port and data."""
        self._run(
            str(self.bindir / "pg_ctl"),
            f"--pgdata={self.root / 'data'}",
            f"--log={self.root / 'server.log'}",
            f"--options=-p {self.port} -k {self.root} {self.options}",
            "--wait",
            "start",
        )
        return self

    def pause(self) -> None:
        """Stop the server, keeping its data: clients see it go away, as in a failover."""
        self._run(
            str(self.bindir / "pg_ctl"), f"--pgdata={self.root / 'data'}", "-m", "fast", "stop"
        )

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE…)."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            cursor = conn.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str, template: str = "template0") -> str:
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            self._run(
                str(self.bindir / "pg_ctl"),
                f"--pgdata={self.root / 'data'}",
                "-m",
                "immediate",
                "stop",
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
