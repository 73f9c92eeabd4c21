"""Shared fixtures: settings on a real database, the app, its client, a clock.

The database is a real SQLite file in tmp_path, or, with ``SMSREPLY_TEST_DATABASE=postgresql``,
a fresh database on a private PostgreSQL server (``bench/postgres.py``) started once for the
session: ``database_url`` is "" (SQLite) or that database's URL, and every test that builds
settings or starts a server passes it on. ``postgres_url`` is a fresh PostgreSQL database in
both modes, for the tests that are about PostgreSQL itself.

``app`` is built by the real factory with the background worker off, so tests decide when
work happens (``service.drain()``); ``clock`` is a settable clock for the reply window.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta

import pytest

from smsreply.credentials import ensure_callback_token, new_api_key
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.web import create_app

ON_POSTGRES = os.environ.get("SMSREPLY_TEST_DATABASE", "sqlite") == "postgresql"
TEMPLATE = "smsreply_template"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A private PostgreSQL server for the session, with a migrated template database."""
    from bench.postgres import PostgresMissing, PrivateCluster

    try:
        cluster = PrivateCluster().start()
    except PostgresMissing as error:
        pytest.skip(str(error))
    store = Store(url=cluster.create_database(TEMPLATE))
    store.migrate()
    store.close()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster):
    """A fresh, migrated PostgreSQL database, dropped after the test."""
    name = f"test_{os.getpid()}_{next(_numbers)}"
    postgres_cluster.admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}" STRATEGY FILE_COPY')
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


@pytest.fixture
def database_url(request) -> str:
    """The test's ``database.url``: "" (its SQLite file) or a fresh PostgreSQL database."""
    return request.getfixturevalue("postgres_url") if ON_POSTGRES else ""


def database_env(database_url: str) -> dict[str, str]:
    """The same choice for a subprocess (a CLI run, a gunicorn)."""
    return {"SMSREPLY_DATABASE_URL": database_url} if database_url else {}


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
def settings(tmp_path, database_url):
    return load_settings(
        None,
        env={},
        overrides={
            "database.path": str(tmp_path / "smsreply.db"),
            "database.url": database_url,
            "worker.retry_base_seconds": 0.0,
        },
    )


@pytest.fixture
def app(settings, clock, tmp_path):
    app = create_app(settings, start_worker=False, clock=clock, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    service.add_credits(100)
    app.config["api_key"] = new_api_key(service.store)
    app.config["callback_token"] = ensure_callback_token(service.store)
    yield app
    app.extensions["smsreply.dispatcher"].stop()
    service.store.close()


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
