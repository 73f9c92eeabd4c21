"""``smsreply try``: a script or handler run once as the gateway would run it, everything
shown, nothing stored or sent (the database is the same, row for row, afterwards)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import database_env
from tests.support.actions import copy_examples, write_script


@pytest.fixture
def project(tmp_path, database_url):
    """An initialised project with the shipped examples; ``smsreply(*args)`` runs the CLI
    there as a new shell would, and ``snapshot()`` is every row of the database."""
    copy_examples(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "SMSREPLY_DATABASE_PATH": str(tmp_path / "sms.db")}
    env |= database_env(database_url)

    def smsreply(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "smsreply.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def snapshot() -> list:
        if not database_url:
            with sqlite3.connect(tmp_path / "sms.db") as connection:
                return list(connection.iterdump())
        import psycopg

        with psycopg.connect(database_url) as connection:
            tables = connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' ORDER BY table_name"
            ).fetchall()
            return [
                (name, connection.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall())
                for (name,) in tables
            ]

    assert smsreply("init").returncode == 0
    smsreply.snapshot = snapshot
    smsreply.folder = tmp_path
    return smsreply


def test_a_script_run_shows_what_it_saw_printed_and_would_send(project):
    before = project.snapshot()
    shown = project("try", "echo.sh", "OUI merci", "--from", "06 12 34 56 78", "--tag", "rdv-1")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "X_SMSREPLY_MESSAGE=OUI merci\n" in text and "X_SMSREPLY_TAG=rdv-1\n" in text
    assert "REQUEST_METHOD=POST\n" in text and "CONTENT_TYPE=application/x-www-form" in text
    assert "== standard input (" in text and "senderid=%2B33612345678&message=OUI+merci" in text
    assert "== standard output\nContent-Type: text/plain; charset=utf-8\n" in text
    assert "== exit status: 0 (" in text
    assert "== result: answered — answer of 27 characters" in text
    assert "== answer (1 part(s), gsm7, 1 credit(s)): Vous avez écrit : OUI merci" in text
    trial = json.loads(
        project("try", "echo.sh", "Très bien", "--shortcode", "38999", "--json").stdout
    )
    assert trial["environ"]["X_SMSREPLY_SHORTCODE"] == "38999"
    assert trial["stdin"].startswith("shortcode=38999&tag=&id=")
    assert trial["environ"]["CONTENT_LENGTH"] == str(len(trial["stdin"].encode()))
    assert trial["answer"] == {
        "text": "Vous avez écrit : Très bien",
        "encoding": "gsm7",
        "parts": 1,
        "credits": 1,
    }
    assert project.snapshot() == before  # nothing stored, queued or debited
    assert "Vous avez" not in project("outbox").stdout


def test_a_failing_script_shows_why_and_exits_1(project):
    write_script(
        project.folder / "cgi-bin",
        "crash.sh",
        "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho 'half'\necho 'boom' >&2\nexit 3\n",
    )
    before = project.snapshot()
    shown = project("try", "crash.sh", "OUI")
    assert shown.returncode == 1
    assert "== standard error\nboom\n" in shown.stdout and "== exit status: 3 (" in shown.stdout
    assert "== result: failed — " in shown.stdout and "exit status 3" in shown.stdout
    write_script(
        project.folder / "cgi-bin",
        "link.sh",
        "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nVoir https://exemple.fr'\n",
    )
    refused = project("try", "link.sh", "OUI")
    assert refused.returncode == 1
    assert "== result: failed — answer refused: it contains a URL (https://exemple.fr)" in (
        refused.stdout
    )
    assert project.snapshot() == before


def test_a_handler_runs_with_its_state(project):
    shown = project("try", "handlers/quiz.py", "B")
    assert shown.returncode == 0, shown.stderr
    assert "== environment: none (handle(reply)" in shown.stdout
    assert "== result: answered" in shown.stdout and "Question 1/3" in shown.stdout
    assert "== state kept for the next reply: 0:0" in shown.stdout
    same = json.loads(project("try", "quiz.py", "B", "--json").stdout)
    assert same["action"] == {"action": "handler", "handler": "quiz.py"}


def test_a_script_that_cannot_run_is_one_line(project):
    missing = project("try", "nope.sh", "OUI")
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error: ") and "nope.sh" in missing.stderr
    assert "Traceback" not in missing.stderr
    outside = project("try", "../sms.db", "OUI")
    assert outside.returncode == 1 and "Traceback" not in outside.stderr
