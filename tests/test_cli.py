"""The command line: every verb, --json, one-line errors with exit status 1, --help examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from smsreply.cli import cli
from smsreply.settings import load_settings
from smsreply.web import create_app
from tests.support.actions import copy_examples, write_script
from tests.support.httpapp import LocalServer


@pytest.fixture
def run(tmp_path, monkeypatch, database_url):
    """The CLI on a fresh database, with the server running on it (a real HTTP server on a
    loopback port): ``simulate-reply`` posts to its callback."""
    monkeypatch.setenv("SMSREPLY_DATABASE_PATH", str(tmp_path / "cli.db"))
    monkeypatch.setenv("SMSREPLY_DATABASE_URL", database_url)
    monkeypatch.delenv("SMSREPLY_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # the project: the shipped cgi-bin/ and handlers/
    copy_examples(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, list(args), obj={}, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    invoke("init")
    app = create_app(load_settings(), project_dir=tmp_path)
    with LocalServer(app) as server:
        monkeypatch.setenv("SMSREPLY_SERVER_BASE_URL", server.url)
        monkeypatch.setenv("SMSREPLY_SERVER_BIND", server.url.removeprefix("http://"))
        yield invoke
    app.extensions["smsreply"].store.close()


def as_json(result):
    return json.loads(result.output)


def test_init_prints_key_once_and_refuses_twice(run):
    again = run("init", ok=False)
    assert again.exit_code == 1 and "already initialised" in again.output
    assert run("init", "--if-needed").exit_code == 0


def test_full_loop(run):
    info = as_json(run("info", "--json"))
    assert info["provider"] == "simulator" and "/callbacks/ovh/" in info["reply_callback_url"]
    run("options", "set", "--action", "text", "--text", "Merci !")
    assert as_json(run("options", "show", "--json")) == {"action": "text", "text": "Merci !"}
    sent = as_json(run("send", "06 12 34 56 78", "RDV demain ?", "--tag", "rdv-1", "--json"))
    assert sent["to"] == "+33612345678" and sent["tag"] == "rdv-1"
    reply = as_json(
        run(
            "simulate-reply",
            "--from",
            "0612345678",
            "--shortcode",
            sent["shortcode"],
            "OUI",
            "--json",
        )
    )
    assert reply["status"] == "handled" and reply["answer"]["message"] == "Merci !"
    outbox = as_json(run("outbox", "--json"))
    assert [item["message"] for item in outbox] == ["Merci !", "RDV demain ?"]
    listed = as_json(run("conversations", "--status", "open", "--json"))
    assert listed[0]["reply_count"] == 1
    detail = as_json(run("conversations", "--id", str(sent["id"]), "--json"))
    assert detail["replies"][0]["answer"]["status"] == "sent"
    assert as_json(run("credits", "--json")) == {"balance": 97}
    assert "147" in run("credits", "add", "50").output


def test_late_and_unmatched_replies_are_shown_with_their_reason(run):
    result = run("simulate-reply", "--from", "+33612345678", "--shortcode", "99999", "Hello")
    assert "rejected" in result.output and "no conversation" in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["send", "01 23 45 67 89", "x"], "landline"),
        (["send", "0612345678", "voir www.x.fr"], "URL"),
        (["options", "set", "--action", "telepathy"], "unknown action"),
        (["options", "set", "--action", "text"], "'text' is required"),
        (["conversations", "--id", "42"], "not found"),
        (["simulate-reply", "--from", "x", "--shortcode", "1", ""], "missing or empty"),
    ],
)
def test_user_errors_are_one_line_exit_1(run, args, words):
    result = run(*args, ok=False)
    assert result.exit_code == 1
    assert words in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_every_command_has_help_with_an_example(run):
    commands = [
        "init",
        "info",
        "send",
        "simulate-reply",
        "outbox",
        "conversations",
        "credits",
        "credits add",
        "options show",
        "options set",
        "api-key",
        "work",
        "worker",
        "copy-database",
    ]
    for command in commands:
        result = run(*command.split(), "-h")
        assert "Example" in result.output, command


def test_insufficient_credits(run):
    run("send", "0612345678", "ç" * 600, ok=False)  # 9 parts > 6: refused before credits
    for _ in range(16):
        run("send", "0612345678", "a" * 900)  # 6 parts each, 96 credits
    result = run("send", "0612345678", "a" * 900, ok=False)
    assert result.exit_code == 1 and "not enough credits" in result.output


def test_bad_config_names_the_key_in_one_line(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[reply]\nwindow_hourz = 3\n")
    result = subprocess.run(
        [sys.executable, "-m", "smsreply.cli", "--config", str(config), "info"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "unknown setting 'reply.window_hourz'" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_refuses_to_start_on_a_bad_setting(tmp_path):
    from tests.support.servers import ROOT

    env = {
        "PATH": "/usr/bin:/bin",
        "SMSREPLY_DATABASE_PATH": str(tmp_path / "x.db"),
        "SMSREPLY_SMS_MAX_PARTS": "many",
        "SMSREPLY_SERVER_BIND": "127.0.0.1:0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "SMSREPLY_SMS_MAX_PARTS" in result.stderr and "Traceback" not in result.stderr


def test_options_for_every_action_and_from_json(run, tmp_path):
    saved = json.loads(run("options", "set", "--action", "cgi", "--script", "echo.sh").output)
    assert saved == {"action": "cgi", "script": "echo.sh"}
    saved = json.loads(
        run(
            "options", "set", "--action", "url", "--url", "https://x.example/s", "--use-response"
        ).output
    )
    assert saved["use_response"] is True
    options = tmp_path / "options.json"
    options.write_text(
        json.dumps(
            {"action": "none", "rules": [{"keyword": "OUI", "action": "text", "text": "Merci"}]}
        )
    )
    saved = json.loads(run("options", "set", "--from-json", str(options)).output)
    assert saved["rules"][0]["keyword"] == "OUI"
    bad = run("options", "set", "--action", "cgi", "--script", "../x", ok=False)
    assert bad.exit_code == 1 and "'..'" in bad.output


def test_stop_then_blacklist_remove(run):
    sent = as_json(run("send", "0612345678", "Bonjour", "--json"))
    stop = run("simulate-reply", "--from", "0612345678", "--shortcode", sent["shortcode"], "STOP")
    first_line = stop.output.splitlines()[0]
    assert (
        first_line.endswith(
            "+33612345678: blacklisted (the sender replied STOP: the number is blacklisted)"
        )
        and "rejected" not in stop.output
    )
    assert "+33612345678" in run("blacklist").output
    assert "replied STOP" in run("send", "0612345678", "Encore", ok=False).output
    run("blacklist", "remove", "06 12 34 56 78")
    assert "empty" in run("blacklist").output
    assert run("blacklist", "remove", "0612345678", ok=False).exit_code == 1


def test_poll_needs_a_pollable_provider(run):
    result = run("poll", ok=False)
    assert result.exit_code == 1 and "cannot be polled" in result.output


def test_simulate_reply_prints_the_result_and_fails_with_the_script(run, tmp_path):
    write_script(tmp_path / "cgi-bin", "crash.py", f"#!{sys.executable}\nimport sys\nsys.argv[5]\n")
    run("options", "set", "--action", "cgi", "--script", "crash.py")
    sent = as_json(run("send", "0612345678", "RDV ?", "--json"))
    result = run(
        "simulate-reply", "--from", "0612345678", "--shortcode", sent["shortcode"], "OUI", ok=False
    )
    assert result.exit_code == 1
    assert (
        "result: failed — exit: exit status 1: IndexError: list index out of range" in result.output
    )
    run("options", "set", "--action", "none")
    quiet = run("simulate-reply", "--from", "0612345678", "--shortcode", sent["shortcode"], "OK")
    assert "result: no_answer" in quiet.output


WHO_SH = r"""#!/bin/sh
printf 'Content-Type: text/plain\n\n%s %s\n' "$HTTP_HOST" "$X_SMSREPLY_KEYWORD"
"""


def test_simulate_reply_posts_over_http_with_numeric_ids(run, tmp_path):
    write_script(tmp_path / "cgi-bin", "who.sh", WHO_SH)
    run("options", "set", "--action", "cgi", "--script", "who.sh")
    sent = as_json(run("send", "0612345678", "RDV ?", "--json"))
    args = ("--from", "0612345678", "--shortcode", sent["shortcode"], "--keyword", "RDV")
    reply = as_json(run("simulate-reply", *args, "OUI", "--json"))
    host = os.environ["SMSREPLY_SERVER_BASE_URL"].removeprefix("http://")
    assert reply["answer"]["message"] == f"{host} RDV"
    assert reply["provider_id"].isdigit()


def test_simulate_reply_without_a_server_says_to_start_it(run, monkeypatch):
    monkeypatch.setenv("SMSREPLY_SERVER_BASE_URL", "http://127.0.0.1:9")
    result = run("simulate-reply", "--from", "0612345678", "--shortcode", "38127", "x", ok=False)
    assert result.exit_code == 1
    assert "no smsreply server answers at http://127.0.0.1:9" in result.output
    assert "start it (make run)" in result.output
