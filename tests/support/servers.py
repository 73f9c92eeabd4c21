"""Real servers for end-to-end tests: smsreply under gunicorn on an ephemeral loopback port.

The launcher the bench uses too (``testkit/gunicorn.py``: exactly as ``make run`` starts
it, in its own process group so a test can ``kill -9`` the master and its workers) with test
defaults: a database in ``tmp_path`` (or at ``database_url``), two workers, a fast sweeper,
quiet logs. Settings are keyword arguments named like their variables (``worker_threads=0``).
"""

from __future__ import annotations

from pathlib import Path

from testkit.gunicorn import ROOT, Gunicorn

__all__ = ["ROOT", "GunicornServer"]


class GunicornServer(Gunicorn):
    def __init__(self, tmp_path: Path, database_url: str = "", **settings: object) -> None:
        defaults = {
            "database_path": tmp_path / "smsreply.db",
            "database_url": database_url,
            "server_workers": 2,
            "worker_sweep_seconds": 0.5,
            "log_level": "WARNING",
            "simulator_dlr_delay": 0.0,  # on only where server.base_url is this server
            "metrics_directory": tmp_path / "metrics",
        }
        super().__init__(tmp_path, defaults | settings)
        self.tmp_path = tmp_path
