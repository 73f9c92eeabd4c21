"""The work engine: claims and their heartbeat, the backoff, nothing started by create_app,
and ``smsreply worker`` as a process of its own (real subprocesses on a real SQLite file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from smsreply import handling, recording
from smsreply.engine.heartbeat import Lease, mint
from smsreply.engine.work import backoff
from smsreply.web import create_app
from tests.support.actions import ROOT, post_reply
from tests.support.served import answers, callback, send, set_text_answer
from tests.support.servers import GunicornServer
from tests.support.waiting import wait_for


def pending_reply(app, conversation, provider_id: str) -> int:
    response = post_reply(app, conversation, "OUI", provider_id)
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    return response.get_json()["reply_id"]


def test_create_app_starts_no_thread(settings, tmp_path):
    before = set(threading.enumerate())
    app = create_app(settings, project_dir=tmp_path)
    assert not set(threading.enumerate()) - before  # (an earlier test's may have ended)
    assert not app.extensions["smsreply"].work_queue.accepting


def test_the_heartbeat_keeps_a_running_claim(app, service, settings):
    settings["worker.lease_seconds"] = 3.0
    service.engine.heartbeat.lease_seconds = service.engine.lease_seconds = 3.0
    reply_id = pending_reply(app, service.send_message("0612345678", "?"), "hb")
    claim = service.engine.claim("reply", reply_id)
    first_lease = claim.lease_until
    taken = []
    with service.engine.heartbeat.keep(claim):
        deadline = time.time() + 7.0  # over two leases
        while time.time() < deadline:  # another worker keeps trying to take it over
            taken.append(
                service.store.claim_job("reply", reply_id, Lease("other", time.time(), 1e12))
            )
            time.sleep(0.25)
    assert not any(taken) and not claim.lost
    assert claim.lease_until > first_lease + 3.0
    assert service.store.claimed_job("reply", reply_id, claim.token) is not None


def test_a_claim_taken_over_records_nothing(app, service, settings):
    service.set_reply_options({"action": "text", "text": "Merci"})
    service.engine.lease_seconds = 0.2  # and no heartbeat: as if this worker had stalled
    reply_id = pending_reply(app, service.send_message("0612345678", "?"), "x")
    claim = service.engine.claim("reply", reply_id)
    acted = handling.act(service.store, service.plan, claim.row)
    time.sleep(0.3)
    other = service.store.claim_job("reply", reply_id, mint(60))
    assert other is not None and other["attempts"] == 2
    before = {table: service.store.query(f"SELECT * FROM {table} ORDER BY id")
              for table in ("outgoing", "ledger", "account")}  # fmt: skip
    work = recording.record(service.store, settings, service.clock, claim.row, acted, claim.token)
    assert work.sms == [] and work.reply is None
    assert service.store.get("replies", reply_id)["status"] == "pending"
    assert service.store.get("replies", reply_id)["answer_id"] is None
    # No answer queued, nothing debited: on PostgreSQL the statement that finds the claim
    # gone has queued the answer already; its transaction keeps nothing.
    for table, rows in before.items():
        assert service.store.query(f"SELECT * FROM {table} ORDER BY id") == rows, table


def test_backoff_doubles_with_jitter(settings):
    settings["worker.retry_base_seconds"] = 2.0
    for attempts in range(1, 6):
        full = 2.0 * 2 ** (attempts - 1)
        delays = [backoff(settings, attempts) for _ in range(50)]
        assert all(full / 2 <= delay <= full for delay in delays)
        assert len(set(delays)) > 1  # jitter: work failed together is not retried together


def worker_process(settings, *arguments: str) -> subprocess.Popen:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SMSREPLY_DATABASE_PATH": str(settings["database.path"]),
        "SMSREPLY_DATABASE_URL": settings["database.url"],
        "SMSREPLY_WORKER_SWEEP_SECONDS": "0.2",
        "SMSREPLY_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",  # its first line says it is ready
    }
    return subprocess.Popen(
        [sys.executable, "-m", "smsreply.cli", "worker", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_smsreply_worker_processes_answer_each_reply_once(app, service, settings):
    service.set_reply_options({"action": "text", "text": "Merci"})
    conversation = service.send_message("0612345678", "RDV ?")
    replies = [pending_reply(app, conversation, f"w-{n}") for n in range(30)]
    workers = [worker_process(settings, "--threads", "3") for _ in range(2)]
    try:
        # Ready (its SIGTERM handler set) before anything can end the test early.
        started = [process.stdout.readline() for process in workers]
        assert all("thread(s)" in line for line in started), started
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = [service.store.get("replies", reply_id) for reply_id in replies]
            message = service.store.get("outgoing", conversation["outgoing_id"])
            if all(row["status"] == "handled" for row in rows) and message["status"] == "sent":
                break
            time.sleep(0.1)
        for process in workers:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30) for process in workers]
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
    assert [process.returncode for process in workers] == [0, 0], outputs
    assert all("smsreply worker: stopped" in out for out, _ in outputs), outputs
    assert all(row["status"] == "handled" and row["answer_id"] for row in rows)
    answers = service.store.query("SELECT reply_id FROM outgoing WHERE kind = 'answer'")
    assert sorted(row["reply_id"] for row in answers) == sorted(replies)
    assert message["status"] == "sent" and message["attempts"] == 1


def test_smsreply_worker_refuses_zero_threads(settings):
    process = worker_process(settings, "--threads", "0")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2 and "--threads" in err


def test_gunicorn_with_preload_app_answers_once(tmp_path, database_url):
    # The app is built once in the master, then forked: each worker process starts its own
    # background work from post_worker_init (create_app started none to lose at the fork).
    server = GunicornServer(tmp_path, database_url, server_workers=2)
    server.env["GUNICORN_CMD_ARGS"] = "--preload"
    server.init()
    with server:
        set_text_answer(server)
        conversation = send(server)
        for n in range(6):
            assert callback(server, conversation, f"preload-{n}").status_code == 200
        assert wait_for(lambda: len(answers(server)) == 6)
        time.sleep(1.0)
        assert len(answers(server)) == 6
    log = server.log.read_text()
    assert "Traceback" not in log and "database is locked" not in log


def test_web_processes_without_background_work_and_a_separate_worker(tmp_path, database_url):
    # worker.threads = 0 on the web side: replies are stored and acknowledged only; the
    # `smsreply worker` process (as on another host) handles them and sends the answers.
    server = GunicornServer(tmp_path, database_url, worker_threads=0)
    server.init()
    with server:
        set_text_answer(server)
        conversation = send(server)
        assert callback(server, conversation, "apart-1").status_code == 200
        time.sleep(1.0)
        assert answers(server) == []  # nobody does background work yet
        worker = worker_process(
            {"database.path": tmp_path / "smsreply.db", "database.url": database_url}
        )
        try:
            assert "thread(s)" in worker.stdout.readline()
            assert wait_for(lambda: len(answers(server)) == 1, timeout=30)
        finally:
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=30)
        assert worker.returncode == 0 and "stopped" in out, err
