"""``smsreply copy-database``: an SQLite installation with every kind of row, moved to an
empty PostgreSQL database with its ids, then used there; a non-empty target is refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smsreply.accounts import users
from smsreply.accounts.credentials import ensure_callback_token, new_api_key
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.store.transfer import data_tables
from smsreply.web import create_app
from tests.support.servers import ROOT
from tests.support.smtp import free_port

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only

NOTIFY = [
    {"media": "email", "sender": "sms@cabinet.example", "target": "docteur@cabinet.example"},
    {"media": "sms", "sender": "CABINET", "target": "+44 7911 123456"},
]


def settings(overrides: dict):
    return load_settings(None, env={}, overrides=overrides)


def installation(tmp_path, clock) -> Store:
    """An SQLite installation that has been used: one row at least in every table."""
    path = tmp_path / "old.db"
    overrides = {
        "database.path": str(path),
        "smtp.host": "127.0.0.1",
        "smtp.port": free_port(),  # nothing listens: the e-mail waits for a retry
        "worker.retry_base_seconds": 0.0,
    }
    app = create_app(settings(overrides), clock=clock)
    service = app.extensions["smsreply"]
    service.add_credits(50)
    token = ensure_callback_token(service.store)
    key = new_api_key(service.store)
    users.create_user(service.store, "alice", "a long password", service.now_iso())
    service.store.open_session("0" * 64, "alice", 1_764_000_000.0, 4_000_000_000.0)
    service.store.count_login_failure("addr:192.0.2.7", 1_764_000_000.0, 0.0)
    service.set_reply_options({"action": "text", "text": "Merci", "notifications": NOTIFY})
    client = app.test_client()
    for number, text in (("0612345678", "OUI"), ("0698765432", "STOP"), ("0611111111", "NON")):
        conversation = service.send_message(number, "RDV demain ?", tag="rdv")
        form = {"shortcode": conversation["shortcode"], "tag": "", "id": f"p-{number}"}
        form |= {"senderid": conversation["recipient"], "message": text}
        assert client.post(f"/callbacks/ovh/{token}", data=form).status_code == 200
    form = {"shortcode": "38999", "tag": "", "id": "lost", "senderid": "+33600000000"}
    client.post(f"/callbacks/ovh/{token}", data=form | {"message": "Qui ?"})  # unmatched
    campaign = {"name": "jeu", "message": "Bonjour", "recipients": ["0622222222", "0123456789"]}
    auth = {"Authorization": f"Bearer {key}"}
    headers = auth | {"Idempotency-Key": "copy-1"}  # a kept answer: idempotency_keys
    assert client.post("/api/campaigns", json=campaign, headers=headers).status_code == 201
    service.drain()
    return service.store


def rows(store: Store, table: str) -> list[dict]:
    columns = [column[0] for column in store.db.execute(f"SELECT * FROM {table}").description]
    order = "id" if "id" in columns else columns[0]
    return store.query(f"SELECT * FROM {table} ORDER BY {order}")


def copy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smsreply.cli", "copy-database", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_table_and_id_moves_and_numbering_continues(tmp_path, clock, postgres_url):
    source = installation(tmp_path, clock)
    tables = data_tables(source)
    empty = [table for table in tables if not rows(source, table)]
    assert not empty, f"the installation should have rows in every table: {empty}"
    done = copy("--from", str(source.path), "--to", postgres_url, "--json")
    assert done.returncode == 0, done.stderr
    target = Store(url=postgres_url)
    for table in tables:
        assert rows(target, table) == rows(source, table), table
    # The next rows continue each numbering instead of colliding with copied ids.
    overrides = {"database.url": postgres_url, "database.path": str(tmp_path / "unused.db")}
    app = create_app(settings(overrides), clock=clock)
    service = app.extensions["smsreply"]
    conversation = service.send_message("0622222222", "Encore ?")
    assert conversation["id"] == max(row["id"] for row in rows(source, "conversations")) + 1
    assert service.store.balance() == source.balance() - 1
    service.store.close()
    # A second copy would mix two histories: refused, naming the problem, not the password.
    again = copy("--from", str(source.path), "--to", postgres_url)
    assert again.returncode == 1
    assert "already holds smsreply data" in again.stderr and "Traceback" not in again.stderr
    target.close()
    source.close()


def test_an_unreachable_target_is_one_line(tmp_path, clock):
    source = installation(tmp_path, clock)
    done = copy("--from", str(source.path), "--to", "postgresql://u:pw-123@127.0.0.1:1/db")
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "Connection refused" in line and "pw-123" not in line
