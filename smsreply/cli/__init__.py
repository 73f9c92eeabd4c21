"""The ``smsreply`` command line (click only here): one module per area, one group.

Example::

    smsreply init && smsreply send 0612345678 "RDV demain 10h. Repondez OUI ou NON"
"""

from __future__ import annotations

from . import account, campaign, database, messages, setup, trying, worker  # noqa: F401 (each registers its commands)
from .common import cli


def main() -> None:
    cli(obj={}, prog_name="smsreply")


__all__ = ["cli", "main"]
