"""CPU time by part of a reply's life (``monitoring/cputime.py``), which the bench splits into
receive, handle, send and spawn: the probes are wrapped around the server's own functions
only when ``server.cpu_ledger`` is set, nested parts are not counted twice, and each
gunicorn process writes its totals to ``server.cpu_ledger`` as it stops.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from smsreply.cgi.gateway import CgiGateway
from smsreply.engine.work import Engine
from smsreply.monitoring import cputime
from smsreply.web import callbacks
from testkit.dataset import open_conversations
from testkit.gunicorn import ROOT
from testkit.scenario import post, start, tally
from testkit.sink import SinkProcess
from tests.support.actions import Phone, write_script


@pytest.fixture
def instrumented():
    """The probes in place, counting every episode, in this process for one test."""
    cputime.instrument()
    yield
    cputime.uninstrument()


def burn(seconds: float) -> None:
    """Use this thread's CPU for ``seconds`` of CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def in_new_process(code: str) -> list[float]:
    """The numbers ``code`` prints, run in a fresh interpreter (counting is process-wide)."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [float(value) for value in done.stdout.split()]


def test_nothing_is_counted_until_instrumented():
    code = (
        "from smsreply.monitoring import cputime\n"
        "from tests.test_cputime import burn\n"
        "with cputime.spending('handle'):\n"
        "    burn(0.01)\n"
        "print(cputime.totals()['handle'])\n"
        "cputime.instrument()\n"
        "with cputime.spending('handle'):\n"
        "    burn(0.01)\n"
        "print(cputime.totals()['handle'])\n"
    )
    off, on = in_new_process(code)
    assert off == 0.0 and on >= 0.01


def test_a_part_inside_another_pauses_it(instrumented):
    before = cputime.totals()
    started = time.thread_time()
    with cputime.spending("handle"):
        burn(0.02)
        with cputime.spending("spawn"):
            burn(0.03)
        burn(0.01)
    spent = time.thread_time() - started
    after = cputime.totals()
    handle = after["handle"] - before["handle"]
    spawn = after["spawn"] - before["spawn"]
    assert spawn >= 0.03 and handle >= 0.03
    assert handle + spawn <= spent  # each CPU second charged once
    assert handle < 0.03 + 0.03  # the script's part is not in handle


def test_each_process_writes_its_totals_to_the_ledger_as_it_stops(tmp_path, database_url):
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    with SinkProcess() as sink:
        database = database_url or tmp_path / "sms.db"
        server = start(tmp_path, sink, database, **{"server.cpu_ledger": ledger})
        try:
            # 200: the server counts one episode in eight per thread (cputime.SERVER_EVERY),
            # so that its 2 × 8 threads are sure to count some of the callbacks
            targets = open_conversations(database, 200)
            acked = post(server, targets, "ledger")
            assert tally(sink, 0, targets, acked)["lost"] == 0
            workers = set(server.workers())
        finally:
            server.stop()
    written = {int(path.stem): json.loads(path.read_text()) for path in ledger.glob("*.json")}
    assert set(written) == workers  # one file per gunicorn worker
    assert server.log.read_text().count("CPU probes on smsreply.") == len(workers)
    assert sum(parts["callback"] for parts in written.values()) > 0  # the view
    assert sum(parts["handle"] for parts in written.values()) > 0
    assert sum(parts["send"] for parts in written.values()) > 0
    assert all(parts["spawn"] == 0 for parts in written.values())  # a text action spawns none


def test_a_server_without_a_ledger_wraps_nothing(tmp_path, database_url):
    """Through a real gunicorn: no ledger setting, no probe wrapped in its workers (they say
    so in the log when they wrap them) and nothing written."""
    with SinkProcess() as sink:
        database = database_url or tmp_path / "sms.db"
        server = start(tmp_path, sink, database)
        try:
            targets = open_conversations(database, 20)
            acked = post(server, targets, "unwrapped")
            assert tally(sink, 0, targets, acked)["lost"] == 0
        finally:
            server.stop()
    log = server.log.read_text()
    assert "Booting worker" in log  # the log is the workers' (gunicorn's own lines too)
    assert "CPU probes" not in log
    assert not list(tmp_path.rglob("[0-9]*.json"))


def test_counting_one_episode_in_n_charges_it_n_times():
    """About one episode (an outermost part and what is nested in it) in ``every``, drawn at
    random, is measured and charged ``every`` times: the totals are those of counting all,
    for fewer clock readings — also for a thread alternating two kinds of episodes (a worker
    thread: handle, send, handle…), which counting every n-th would split unfairly."""
    code = (
        "from smsreply.monitoring import cputime\n"
        "from tests.test_cputime import burn\n"
        "cputime.instrument(4)\n"
        "for _ in range(400):\n"
        "    with cputime.spending('handle'):\n"
        "        burn(0.0002)\n"
        "        with cputime.spending('spawn'):\n"
        "            burn(0.0002)\n"
        "    with cputime.spending('send'):\n"
        "        burn(0.0002)\n"
        "print(*(cputime.totals()[part] for part in ('handle', 'spawn', 'send')))\n"
    )
    totals = in_new_process(code)
    # 400 × 0.2 ms = 0.08 s each, counting ~100 of 400 (binomial: ±30 % is 3.5 sd)
    for total in totals:
        assert 0.08 * 0.7 <= total <= 0.08 * 1.3 + 0.02


PROBED = (
    (callbacks, "reply"),
    (Engine, "handle_reply"),
    (Engine, "send_sms"),
    (CgiGateway, "spawn"),
)


def test_a_server_without_a_ledger_runs_the_unwrapped_code(app, settings):
    originals = [vars(owner)[name] for owner, name in PROBED]
    assert settings["server.cpu_ledger"] == ""  # the default
    assert cputime.instrument_server(settings) == []  # as gunicorn's post_worker_init calls it
    assert cputime.instrumented() == []
    assert [vars(owner)[name] for owner, name in PROBED] == originals
    assert not any(hasattr(function, "__wrapped__") for function in originals)


def test_with_a_ledger_each_part_is_charged_through_the_server_code(
    app, service, settings, tmp_path
):
    """A CGI reply through the real callback view and the real work engine: the view, the
    worker's handling, the script's start and the answer's send each charged to their part."""
    write_script(tmp_path / "cgi-bin", "answer.sh", DIGEST)
    service.set_reply_options({"action": "cgi", "script": "answer.sh"})
    settings["server.cpu_ledger"] = str(tmp_path)
    try:
        probes = cputime.instrument_server(settings)
        assert probes == sorted(f"{module}:{name}" for module, name, _ in cputime.PROBES)
        assert all(hasattr(vars(owner)[name], "__wrapped__") for owner, name in PROBED)
        cputime.instrument()  # every episode (the server samples one in eight)
        before = cputime.totals()
        result = Phone(app, service).reply("OUI")  # posts, then drains the work queue
        spent = {part: cputime.totals()[part] - before[part] for part in cputime.PARTS}
    finally:
        cputime.uninstrument()
    assert result["answer"] == "noted" and result["reply"]["status"] == "handled"
    assert all(spent[part] > 0 for part in cputime.PARTS), spent
    assert cputime.instrumented() == []
    assert not any(hasattr(vars(owner)[name], "__wrapped__") for owner, name in PROBED)


# A CGI script that reads its whole input and answers.
DIGEST = """#!/bin/sh
cat > /dev/null
printf 'Content-Type: text/plain\\n\\nnoted\\n'
"""
