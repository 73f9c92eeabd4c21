"""The `cgi` action end to end in-process: real scripts run for real replies."""

import pytest

from tests.support.actions import Phone, copy_examples, write_script

DUMP_ENV = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
env | sort
"""


@pytest.fixture
def cgi_dir(tmp_path):
    return tmp_path / "cgi-bin"


def use(service, **options):
    return service.set_reply_options(options)


def test_script_sees_every_variable_and_its_answer_is_sent(app, service, cgi_dir, settings):
    settings["sms.max_parts"] = 255  # the whole environment, as one long answer
    write_script(cgi_dir, "env.sh", DUMP_ENV)
    use(service, action="cgi", script="env.sh")
    phone = Phone(app, service, tag="rdv-42", message="Venez-vous ?")
    result = phone.reply("Oui, à 10h 😀", headers={"Proxy": "http://evil", "X-Trace": "abc"})
    env = dict(line.split("=", 1) for line in result["answer"].splitlines() if "=" in line)
    assert env["REQUEST_METHOD"] == "POST"
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["SCRIPT_NAME"] == "/cgi-bin/env.sh"
    assert env["QUERY_STRING"] == ""
    assert env["CONTENT_TYPE"].startswith("application/x-www-form-urlencoded")
    assert env["X_SMSREPLY_SENDER"] == "+33612345678"
    assert env["X_SMSREPLY_MESSAGE"] == "Oui, à 10h 😀"
    assert env["X_SMSREPLY_TAG"] == "rdv-42"
    assert env["X_SMSREPLY_ORIGINAL_MESSAGE"] == "Venez-vous ?"
    assert env["X_SMSREPLY_REPLY_NUMBER"] == "1"
    assert env["X_SMSREPLY_CONVERSATION_ID"] == str(phone.conversation["id"])
    assert env["HTTP_X_TRACE"] == "abc"
    assert "HTTP_PROXY" not in env
    for name in (
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "REMOTE_ADDR",
        "CONTENT_LENGTH",
        "PATH",
    ):
        assert env[name]
    assert result["reply"]["status"] == "handled"
    assert result["outcome"]["environ"]["X_SMSREPLY_SENDER"] == "+33612345678"


def test_state_carries_from_one_reply_to_the_next(app, service, cgi_dir):
    write_script(
        cgi_dir,
        "count.sh",
        """#!/bin/sh
n=$(( ${X_SMSREPLY_STATE:-0} + 1 ))
printf 'Content-Type: text/plain\\nX-CGI-State: %s\\n\\nrun %s\\n' "$n" "$n"
""",
    )
    use(service, action="cgi", script="count.sh")
    phone = Phone(app, service)
    assert [phone.reply("x")["answer"] for _ in range(3)] == ["run 1", "run 2", "run 3"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("#!/bin/sh\nexit 3\n", "exit"),
        ("#!/bin/sh\nprintf 'Status: 500 Boom\\nContent-Type: text/plain\\n\\nno'\n", "status"),
        ("#!/bin/sh\nprintf 'hello\\n'\n", "malformed"),
        ("#!/bin/sh\nkill -9 $$\n", "signal"),
    ],
)
def test_failed_runs_send_nothing_and_are_recorded(app, service, cgi_dir, body, error):
    write_script(cgi_dir, "bad.sh", body + "echo oops >&2\n")
    use(service, action="cgi", script="bad.sh")
    result = Phone(app, service).reply("x")
    assert result["answer"] is None
    assert result["outcome"]["kind"] == "error"
    assert result["outcome"]["error"] == error


def test_timeout_kills_the_script(app, service, cgi_dir, settings):
    settings["cgi.timeout"] = 1.0
    write_script(cgi_dir, "slow.sh", "#!/bin/sh\nsleep 30\n")
    use(service, action="cgi", script="slow.sh")
    result = Phone(app, service).reply("x")
    assert result["outcome"]["error"] == "timeout" and result["answer"] is None
    assert result["outcome"]["duration"] < 5


@pytest.mark.parametrize(
    ("name", "words"),
    [("../etc/passwd", "without '..'"), ("missing.sh", "not"), ("plain.txt", "executable")],
)
def test_bad_scripts_are_refused_when_saved(client, auth, cgi_dir, name, words):
    write_script(cgi_dir, "plain.txt", "hello", executable=False)
    response = client.put(
        "/api/reply-options", json={"action": "cgi", "script": name}, headers=auth
    )
    assert response.status_code == 422
    assert words in response.get_json()["error"]["message"]
    assert response.get_json()["error"]["field"] == "script"


def test_symlink_out_of_cgi_bin_is_refused(client, auth, cgi_dir, tmp_path):
    outside = write_script(tmp_path, "outside.sh", DUMP_ENV)
    cgi_dir.mkdir(exist_ok=True)
    (cgi_dir / "link.sh").symlink_to(outside)
    response = client.put(
        "/api/reply-options", json={"action": "cgi", "script": "link.sh"}, headers=auth
    )
    assert response.status_code == 422


def test_script_removed_after_saving_is_recorded(app, service, cgi_dir):
    path = write_script(cgi_dir, "gone.sh", DUMP_ENV)
    use(service, action="cgi", script="gone.sh")
    path.unlink()
    result = Phone(app, service).reply("x")
    assert result["outcome"]["error"] == "config" and result["answer"] is None


def test_shipped_examples(app, service, tmp_path):
    copy_examples(tmp_path)
    use(service, action="cgi", script="echo.sh")
    assert Phone(app, service).reply("ça marche")["answer"] == "Vous avez écrit : ça marche"

    use(service, action="cgi", script="rdv.py")
    phone = Phone(app, service, number="0612345679", tag="rdv-42")
    assert "confirmer" in phone.reply("peut-être")["answer"]
    assert phone.reply("Oui !")["answer"] == "Merci, le rendez-vous rdv-42 est confirmé."
    assert "annulé" in phone.reply("non")["answer"]
    assert '"cancelled"' in (tmp_path / "var" / "rdv.json").read_text()


def test_perl_cgi_pm_script_written_for_ovh(app, service, tmp_path):
    import shutil
    import subprocess

    if not shutil.which("perl") or subprocess.run(["perl", "-MCGI", "-e1"]).returncode:
        pytest.skip("Perl CGI.pm is not installed (Debian: libcgi-pm-perl)")
    copy_examples(tmp_path)
    use(service, action="cgi", script="ovh-callback.pl")
    phone = Phone(app, service)
    answer = phone.reply("Réponse élégante")["answer"]
    assert answer == (
        f"Bien reçu « Réponse élégante » de +33612345678 au {phone.conversation['shortcode']}."
    )
