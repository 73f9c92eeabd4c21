"""Shared fixtures: settings on a real SQLite file in tmp_path, the app, its client, a clock.

``app`` is built by the real factory, which starts no background work, so tests decide
when work happens (``service.drain()``); ``clock`` is a settable clock for the reply window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsreply.credentials import ensure_callback_token, new_api_key
from smsreply.settings import load_settings
from smsreply.web import create_app


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path):
    return load_settings(
        None,
        env={},
        overrides={
            "database.path": str(tmp_path / "smsreply.db"),
            "worker.retry_base_seconds": 0.0,
            # no server listens at server.base_url here: tests that want the simulator's
            # delivery reports turn them on with a real server (test_simulator.py)
            "simulator.dlr_delay": 0.0,
        },
    )


@pytest.fixture
def app(settings, clock, tmp_path):
    app = create_app(settings, clock=clock, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    service.add_credits(100)
    app.config["api_key"] = new_api_key(service.store)
    app.config["callback_token"] = ensure_callback_token(service.store)
    return app


@pytest.fixture
def service(app):
    return app.extensions["smsreply"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(app):
    return {"Authorization": f"Bearer {app.config['api_key']}"}


@pytest.fixture
def callback_url(app):
    return f"/callbacks/ovh/{app.config['callback_token']}"
