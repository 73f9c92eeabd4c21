"""The PostgreSQL backend itself, on the private server (``postgres_url``), in both modes:
the SQL written once, the write transactions that run alone, the poller's lock across
processes, one clear line for every way a database can be unusable, and old SQLite files
(made by sqlite-utils' ``Migrations``) upgrading seamlessly."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
import requests
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from smsreply.accounts.credentials import ensure_callback_token
from smsreply.providers import InboundReply
from smsreply.settings import load_settings
from smsreply.store import DatabaseUnavailable, InsufficientCredits, Store
from smsreply.store import migrations as schema
from smsreply.store.postgres_sql import translate
from tests.support.servers import ROOT, GunicornServer

pytestmark = pytest.mark.postgres  # make test runs these in its PostgreSQL run only


def test_placeholders_are_translated_outside_quoted_strings():
    assert translate("SELECT * FROM t WHERE a = ? AND b = ?") == (
        "SELECT * FROM t WHERE a = %s AND b = %s"
    )
    assert translate("VALUES (:id, :at)") == "VALUES (%(id)s, %(at)s)"
    assert translate("SELECT 'a?b:c''%' , x % 2, y::text") == (
        "SELECT 'a?b:c''%%' , x %% 2, y::text"
    )


@pytest.fixture
def store(postgres_store):
    return postgres_store


def test_percent_signs_reach_postgresql_intact(store):
    store.set_option("greeting", "100% sur")
    assert store.query("SELECT value FROM options WHERE value LIKE '%sur%'")[0]["value"] == (
        '"100% sur"'
    )
    assert store.query("SELECT 7 % 4 AS rest, ? AS word", ("50%",)) == [{"rest": 3, "word": "50%"}]


def test_ids_come_from_returning_and_the_schema_speaks_postgresql(store):
    first = store.add_user("alice", "hash", "2026-11-25T09:00:00+00:00")
    second = store.add_user("bob", "hash", "2026-11-25T09:00:00+00:00")
    assert (first, second) == (1, 2)
    types = dict(
        store.db.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'replies' AND column_name IN ('id', 'lease_until', 'attempts')"
        ).fetchall()
    )
    assert types == {"id": "bigint", "lease_until": "double precision", "attempts": "bigint"}
    assert store.migrate() == []  # applied once


def test_concurrent_debits_never_overdraw(store):
    """16 threads debit one credit each from a balance of 10: exactly 10 succeed."""
    store.change_credits(10, "2026-11-25T09:00:00+00:00", "top-up")
    outcomes: list[str] = []
    barrier = threading.Barrier(16)

    def debit() -> None:
        barrier.wait()
        try:
            store.change_credits(-1, "2026-11-25T09:00:01+00:00", "reply")
            outcomes.append("ok")
        except InsufficientCredits:
            outcomes.append("refused")

    threads = [threading.Thread(target=debit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 6
    assert store.balance() == 0
    assert len(store.ledger(100)) == 11


def test_one_reply_posted_at_once_on_many_connections_is_stored_once(postgres_url, clock, tmp_path):
    """The provider's retry lands on another host while the first is storing it."""
    from smsreply.web import create_app

    overrides = {"database.url": postgres_url, "database.path": str(tmp_path / "local.db")}
    settings = load_settings(None, env={}, overrides=overrides)
    hosts = [create_app(settings, clock=clock).extensions["smsreply"] for _ in range(8)]
    hosts[0].add_credits(10)
    inbound = InboundReply("dup-1", "+33612345678", "OUI", "38000")
    created: list[bool] = []
    barrier = threading.Barrier(len(hosts))

    def post(host) -> None:
        barrier.wait()
        created.append(host.receive_reply(inbound, "ovh")[1])  # what the callback calls

    threads = [threading.Thread(target=post, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert created.count(True) == 1 and len(created) == len(hosts)
    assert len(hosts[0].store.latest_replies(10)) == 1
    for host in hosts:
        host.store.close()


def test_the_poller_lock_is_held_by_one_process_across_hosts(postgres_url):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from smsreply.store import Store\n"
            f"store = Store(url={postgres_url!r})\n"
            "with store.exclusive('poller') as held:\n"
            "    print(held, flush=True)\n"
            "    time.sleep(60)\n",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "True"
        other = Store(url=postgres_url)
        with other.exclusive("poller") as held:
            assert held is False
        with other.exclusive("another-lock") as held:
            assert held is True
        holder.kill()  # kill -9: the server ends its session and frees the lock
        holder.wait()
        for _ in range(50):
            with other.exclusive("poller") as held:
                if held:
                    break
        assert held is True
        other.close()
    finally:
        holder.kill()
        holder.wait()


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smsreply.cli", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def unusable_urls(cluster, tmp_path) -> list[tuple[str, str]]:
    cluster.admin("DROP ROLE IF EXISTS reader")
    cluster.admin("CREATE ROLE reader LOGIN PASSWORD 's3cret-pw'")
    cluster.admin("DROP DATABASE IF EXISTS locked")
    cluster.admin("CREATE DATABASE locked")
    with __import__("psycopg").connect(cluster.url("locked"), autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # PG 15 default
    dead = cluster.url("x", "postgres", "s3cret-pw").replace(str(cluster.port), "1")
    return [
        ("mysql://u:s3cret-pw@localhost/db", "must start with postgresql://"),
        ("postgresql://u:s3cret-pw@localhost:port/db", "unreadable URL"),
        (dead, "Connection refused"),
        # issue 19 item 7: a leading space and the key=value form printed the password
        (" " + dead, "Connection refused"),
        ("host=127.0.0.1 port=1 user=u password=s3cret-pw dbname=x", "Connection refused"),
        ("host=127.0.0.1 password='s3cret-pw dbname=x", "unreadable database.url"),
        (cluster.url("nosuchdb", "postgres", "s3cret-pw"), 'database "nosuchdb" does not exist'),
        (cluster.url("locked", "reader", "s3cret-pw"), "permission denied for schema public"),
    ]


def test_an_unusable_database_is_one_line_without_the_password(postgres_cluster, tmp_path):
    for url, problem in unusable_urls(postgres_cluster, tmp_path):
        env = {"SMSREPLY_DATABASE_URL": url, "SMSREPLY_DATABASE_BUSY_TIMEOUT": "3"}
        info = run_cli("info", env=env)
        assert info.returncode == 1, info.stdout
        [line] = info.stderr.strip().splitlines()
        assert problem in line and "s3cret-pw" not in line and "Traceback" not in line, line
        server = subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "app:app"],
            cwd=ROOT,
            env={
                "PATH": "/usr/bin:/bin",
                "SMSREPLY_SERVER_BIND": "127.0.0.1:0",
                "SMSREPLY_METRICS_DIRECTORY": str(tmp_path / "metrics"),  # not the project's
                **env,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert server.returncode == 1
        [line] = server.stderr.strip().splitlines()
        assert line.startswith("smsreply: database postgresql://") or "mysql" in line, line
        assert problem in line and "s3cret-pw" not in line, line


def test_the_password_is_never_printed_whatever_the_form_of_the_url(postgres_cluster, tmp_path):
    """A working database.url as a URL with a stray space or as key=value pairs: ``init``,
    ``info`` and a gunicorn start show where the database is, never its password."""
    port = postgres_cluster.port
    forms = (
        " " + postgres_cluster.url("{database}", "postgres", "s3cret-pw") + " ",
        "host=127.0.0.1 port={port} user=postgres password=s3cret-pw dbname={database}",
    )
    for index, form in enumerate(forms):
        database = f"forms{index}"
        postgres_cluster.admin(f"DROP DATABASE IF EXISTS {database}")
        postgres_cluster.admin(f"CREATE DATABASE {database}")
        url = form.format(port=port, database=database)
        shown = f"postgresql://postgres@127.0.0.1:{port}/{database}"
        env = {"SMSREPLY_DATABASE_URL": url}
        for command in ("init", "info"):
            result = run_cli(command, env=env)
            assert result.returncode == 0, result.stderr
            assert shown in result.stdout, result.stdout
            assert "s3cret-pw" not in result.stdout + result.stderr
        server = GunicornServer(tmp_path, url, log_level="INFO")
        with server:
            assert requests.get(server.url + "/api/health", timeout=10).status_code == 200
        assert "s3cret-pw" not in server.log.read_text()


def test_an_unusable_sqlite_file_is_one_line(tmp_path):
    (tmp_path / "not-a-db").write_text("hello " * 1000)
    info = run_cli("info", env={"SMSREPLY_DATABASE_PATH": str(tmp_path / "not-a-db")})
    assert info.returncode == 1
    [line] = info.stderr.strip().splitlines()
    assert "file is not a database" in line and str(tmp_path) in line


def test_sqlite_files_made_by_sqlite_utils_migrations_upgrade_seamlessly(tmp_path):
    """Before this runner, sqlite-utils' ``Migrations`` applied m001…m003; m004… come now."""
    path = tmp_path / "old.db"
    old = Migrations("smsreply")
    for step in schema.migrations.steps[:3]:
        old()(step)
    database = Database(path)
    old.apply(database)
    database.execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES ('a', 'h', 'x')"
    )
    database.conn.commit()
    database.close()
    store = Store(path)
    assert store.migrate() == [step.__name__ for step in schema.migrations.steps[3:]]
    assert store.migrate() == []
    assert [user["username"] for user in store.list_users()] == ["a"]
    names = [row["name"] for row in store.query("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == [step.__name__ for step in schema.migrations.steps]
    store.close()


def test_a_pool_of_its_own_per_store_closed_with_it(postgres_url):
    store = Store(url=postgres_url, pool_size=2)
    store.migrate()
    assert store.balance() == 0
    store.close()
    with pytest.raises(DatabaseUnavailable):
        Store(url="postgresql://u@h/").check()


def test_a_store_used_before_a_fork_works_in_the_child_and_the_parent(store):
    """gunicorn's preload_app: the app (and its pool) made in the master, then forked."""
    import os

    store.change_credits(5, "2026-11-25T09:00:00+00:00", "top-up")
    pid = os.fork()
    if pid == 0:  # the child: its own pool, the parent's connections untouched
        code = 0
        try:
            store.change_credits(1, "2026-11-25T09:00:01+00:00", "child")
            code = 0 if store.balance() == 6 else 1
            store.close()  # a worker that stops closes its store
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.balance() == 6  # the parent's pooled connections still work
    assert [line["reason"] for line in store.ledger(10)] == ["child", "top-up"]


def callback(client, token: str, provider_id: str):
    form = {"shortcode": "38000", "tag": "", "id": provider_id, "senderid": "+33612345678"}
    return client.post(f"/callbacks/ovh/{token}", data=form | {"message": "OUI"})


def test_a_server_gone_is_a_503_then_the_retry_is_stored(tmp_path, clock):
    """The PostgreSQL server stops (a failover) under a running app: callbacks get 503,
    which the provider retries; once the server is back, the same callback is stored."""
    from smsreply.web import create_app
    from testkit.postgres import PrivateCluster

    with PrivateCluster() as cluster:
        overrides = {
            "database.url": cluster.create_database("failover"),
            "database.path": str(tmp_path / "local.db"),
            "database.busy_timeout": 2.0,
        }
        settings = load_settings(None, env={}, overrides=overrides)
        app = create_app(settings, clock=clock)
        service = app.extensions["smsreply"]
        token = ensure_callback_token(service.store)
        client = app.test_client()
        assert callback(client, token, "before").status_code == 200
        cluster.pause()
        down = callback(client, token, "during")
        assert down.status_code == 503, down.get_data(as_text=True)
        assert down.get_json()["error"]["code"] == "storage_unavailable"
        cluster.resume()
        for _ in range(50):  # the pool replaces its broken connections
            again = callback(client, token, "during")
            if again.status_code == 200:
                break
        assert again.status_code == 200 and again.get_json()["duplicate"] is False
        assert {reply["provider_id"] for reply in service.store.latest_replies(10)} == {
            "before",
            "during",
        }
        service.store.close()


def test_a_read_only_database_is_a_503(postgres_url, tmp_path, clock):
    """A standby, or a database set read-only: 503, nothing acknowledged."""
    import psycopg

    from smsreply.web import create_app

    overrides = {"database.url": postgres_url, "database.path": str(tmp_path / "local.db")}
    app = create_app(load_settings(None, env={}, overrides=overrides))
    service = app.extensions["smsreply"]
    token = ensure_callback_token(service.store)
    name = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        try:
            service.store.close()  # new connections from here on
            answer = callback(app.test_client(), token, "ro-1")
        finally:
            admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    assert answer.status_code == 503
    assert "read-only transaction" in answer.get_json()["error"]["message"]
    assert service.store.latest_replies(10) == []
    service.store.close()
