"""``/api/ready`` (readiness) apart from ``/api/health`` (liveness): 503 while the database
is unreachable or its schema behind the code, 200 again once it is back; both without the
API key. The same state is what ``/metrics`` exports as ``smsreply_database_up`` and
``smsreply_schema_current``.
"""

from __future__ import annotations

import shutil

from prometheus_client import REGISTRY

from smsreply.accounts.credentials import ensure_callback_token, new_api_key
from smsreply.settings import load_settings
from smsreply.store import Store
from smsreply.web import create_app


def test_ready_needs_no_key_and_says_ok(client):
    answer = client.get("/api/ready")
    assert answer.status_code == 200 and answer.get_json() == {"ok": True}
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_schema_behind_is_not_ready_but_alive(client, service):
    store = service.store
    last = store.query("SELECT name FROM _sqlite_migrations ORDER BY id DESC LIMIT 1")[0]
    store.db.execute("DELETE FROM _sqlite_migrations WHERE name = ?", (last["name"],))
    answer = client.get("/api/ready")
    assert answer.status_code == 503
    problem = answer.get_json()["problem"]
    assert problem.startswith("database schema behind: 1 step(s)") and last["name"] in problem
    assert client.get("/api/health").status_code == 200
    store.db.execute(  # its tables are still there: recorded again, ready again
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        ("smsreply", last["name"], "now"),
    )
    assert client.get("/api/ready").status_code == 200


def test_an_unreachable_sqlite_file_is_not_ready(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    settings = load_settings(None, env={}, overrides={"database.path": str(folder / "sms.db")})
    app = create_app(settings)
    client = app.test_client()
    assert client.get("/api/ready").status_code == 200
    shutil.rmtree(folder)  # the disk unmounted: the file and its folder are gone
    folder.write_text("not a folder")
    app.extensions["smsreply"].store.close()  # as a new thread would: an open file stays
    answer = client.get("/api/ready")
    assert answer.status_code == 503
    assert answer.get_json()["problem"].startswith("database unreachable: ")
    assert client.get("/api/health").status_code == 200
    folder.unlink()
    folder.mkdir()
    assert client.get("/api/ready").status_code == 503  # an empty database: schema behind
    Store(folder / "sms.db").migrate()
    assert client.get("/api/ready").status_code == 200


def test_an_unreachable_postgresql_server_is_not_ready(postgres_cluster, tmp_path):
    url = postgres_cluster.create_database("readiness")
    try:
        settings = load_settings(
            None,
            env={},
            overrides={"database.url": url, "database.busy_timeout": 2.0},
        )
        app = create_app(settings)
        client = app.test_client()
        token = ensure_callback_token(app.extensions["smsreply"].store)
        assert client.get("/api/ready").status_code == 200
        errors = database_errors()
        postgres_cluster.drop_database("readiness")  # its connections closed, then gone
        answer = client.get("/api/ready")
        assert answer.status_code == 503
        problem = answer.get_json()["problem"]
        assert problem.startswith("database unreachable: ") and "password" not in problem
        assert client.get("/api/health").status_code == 200
        form = {"id": "r1", "senderid": "0612345678", "shortcode": "38000", "message": "OUI"}
        assert client.post(f"/callbacks/ovh/{token}", data=form).status_code == 503
        assert database_errors() == {
            "ready": errors["ready"] + 1,
            "request": errors["request"] + 1,
        }  # counted for /metrics: smsreply_database_errors_total
        app.extensions["smsreply"].store.close()
    finally:
        postgres_cluster.drop_database("readiness")


def database_errors() -> dict[str, float]:
    return {
        where: REGISTRY.get_sample_value("smsreply_database_errors_total", {"where": where}) or 0.0
        for where in ("ready", "request")
    }


def test_routes_answer_503_when_the_sqlite_folder_is_gone(tmp_path):
    """The disk unmounted under a running server: a thread opening the file again finds its
    folder gone. Callbacks and the API say 503 (try again), as for a locked database, never
    500."""
    folder = tmp_path / "data"
    folder.mkdir()
    settings = load_settings(None, env={}, overrides={"database.path": str(folder / "sms.db")})
    app = create_app(settings)
    store = app.extensions["smsreply"].store
    Store(folder / "sms.db").migrate()
    token = ensure_callback_token(store)
    key = new_api_key(store)
    client = app.test_client()
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    store.close()  # as a new thread would: an open file stays
    reply = {"id": "1", "senderid": "+33612345678", "message": "OUI", "shortcode": "62215"}
    answer = client.post(f"/callbacks/ovh/{token}", data=reply)
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["code"] == "storage_unavailable"
    answer = client.get("/api/replies", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["code"] == "storage_unavailable"
