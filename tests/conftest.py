"""Shared fixtures: settings on a real database, the app, its client, a clock.

The database is a real SQLite file in tmp_path, or, with ``SMSREPLY_TEST_DATABASE=postgresql``,
a database on a private PostgreSQL server (``testkit/postgres.py``) started once for the
session and emptied before each test: ``database_url`` is "" (SQLite) or that database's
URL, and every test that builds settings or starts a server passes it on. ``postgres_url``
is that emptied PostgreSQL database in both modes, for the tests about PostgreSQL itself.

``app`` is built by the real factory, which starts no background work, so tests decide
when work happens (``service.drain()``); ``clock`` is a settable clock for the reply window.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from smsreply.accounts.credentials import ensure_callback_token, new_api_key
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.web import create_app

ON_POSTGRES = os.environ.get("SMSREPLY_TEST_DATABASE", "sqlite") == "postgresql"


@pytest.fixture(scope="session")
def postgres_cluster():
    """A private PostgreSQL server for the session."""
    from testkit.postgres import PostgresMissing, PrivateCluster

    try:
        cluster = PrivateCluster().start()
    except PostgresMissing as error:
        pytest.skip(str(error))
    yield cluster
    cluster.stop()


class ResettableDatabase:
    """One migrated database for the session, emptied before each test: every table
    truncated (ids restarting at 1), then the rows the migrations seed (the account) put
    back. Much faster than a database per test (``CREATE DATABASE`` checkpoints)."""

    def __init__(self, cluster) -> None:
        import psycopg

        self.url = cluster.create_database("smsreply_tests")
        store = Store(url=self.url)
        store.migrate()
        store.close()
        self.connection = psycopg.connect(self.url, autocommit=True)
        tables = self.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name <> '_sqlite_migrations' ORDER BY table_name"
        ).fetchall()
        self.tables = [name for (name,) in tables]
        self.seeds = {table: self._rows(table) for table in self.tables}

    def _rows(self, table: str) -> list[tuple]:
        return self.connection.execute(f"SELECT * FROM {table}").fetchall()

    def reset(self) -> str:
        with self.connection.transaction():
            self.connection.execute(f"TRUNCATE {', '.join(self.tables)} RESTART IDENTITY")
            for table, rows in self.seeds.items():
                for row in rows:
                    marks = ", ".join(["%s"] * len(row))
                    self.connection.execute(f"INSERT INTO {table} VALUES ({marks})", row)
        return self.url


@pytest.fixture(scope="session")
def postgres_database(postgres_cluster):
    database = ResettableDatabase(postgres_cluster)
    yield database
    database.connection.close()


@pytest.fixture
def postgres_url(postgres_database) -> str:
    """The session's PostgreSQL database, empty and migrated, for this test."""
    return postgres_database.reset()


@pytest.fixture
def postgres_store(postgres_url):
    """A store on the session's PostgreSQL database, empty and migrated, for this test."""
    store = Store(url=postgres_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture(scope="module")
def module_database_url(request):
    """For module-scoped servers: "" (SQLite) or a PostgreSQL database of the module's own."""
    if not ON_POSTGRES:
        yield ""
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = "module_" + request.module.__name__.rsplit(".", 1)[-1]
    yield cluster.create_database(name)
    cluster.drop_database(name)


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
    yield app
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
