"""An app whose notifications go to a real SMTP server (``smtp.SmtpServer``), for the tests
of the owner's notifications and of the low-credit alert; ``NOTIFY``: one e-mail and one SMS
notification, as a customer saves them in the reply options.

Example::

    with SmtpServer() as smtp:
        app, service = notifying_app(tmp_path, smtp.port, database_url, credits=20)
        service.set_reply_options({"action": "text", "text": "Merci", "notifications": NOTIFY})
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from smsreply.clock import Clock, utcnow
from smsreply.settings import load_settings
from smsreply.web import create_app

NOTIFY = [
    {"media": "email", "sender": "sms@cabinet.example", "target": "docteur@cabinet.example"},
    {"media": "sms", "sender": "CABINET", "target": "+44 7911 123456"},
]


def notifying_app(
    tmp_path: Path,
    smtp_port: int,
    database_url: str,
    clock: Clock = utcnow,
    credits: int = 0,
    **overrides: object,
) -> tuple[Flask, object]:
    """The real factory, its e-mail sent through ``127.0.0.1:smtp_port``, a failed send tried
    again at once and three times at most, on a database in ``tmp_path`` (or at
    ``database_url``), with ``credits`` added; ``overrides`` are settings by their names
    (``**{"credits.alert_below": 5}``). The app and its service."""
    settings = load_settings(
        None,
        env={},
        overrides={
            "database.path": str(tmp_path / "smsreply.db"),
            "database.url": database_url,
            "smtp.host": "127.0.0.1",
            "smtp.port": smtp_port,
            "worker.retry_base_seconds": 0.0,
            "worker.max_attempts": 3,
            "simulator.dlr_delay": 0.0,
        }
        | overrides,
    )
    app = create_app(settings, clock=clock, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    if credits:
        service.add_credits(credits)
    return app, service
