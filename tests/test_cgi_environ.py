"""CGI meta-variables and request body: pure checks, then what real scripts actually see."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest

from smsreply.cgi import CgiGateway, build_environ, build_request

FIELDS = {
    "shortcode": "36111",
    "tag": "campaign-7",
    "id": "991",
    "senderid": "+33612345678",
    "message": "Oui, café à 8h 😀",
}
EXTRA = {"SENDER": "+33612345678", "CONVERSATION_ID": "12"}
REQUIRED = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "SERVER_SOFTWARE": "smsreply/test",
    "SERVER_NAME": "sms.example.test",
    "SERVER_PORT": "8443",
    "REQUEST_METHOD": "POST",
    "SCRIPT_NAME": "/cgi-bin/env.sh",
    "QUERY_STRING": "",
    "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
    "REMOTE_ADDR": "203.0.113.9",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "REDIRECT_STATUS": "200",
    "LANG": "C.UTF-8",
    "X_SMSREPLY_SENDER": "+33612345678",
    "X_SMSREPLY_CONVERSATION_ID": "12",
}
HEADERS = (
    ("User-Agent", "OVH-callback/1.0"),
    ("X-Foo", "dash"),
    ("X_Foo", "underscore-spoof"),
    ("Proxy", "http://evil.example:3128"),
    ("Authorization", "Basic c2VjcmV0"),
    ("Cookie", "session=manager"),
    ("Content-Type", "text/evil"),
    ("Accept", "text/plain"),
    ("accept", "*/*"),
)


def make_request(**overrides) -> object:
    options = dict(
        headers=HEADERS, server_name="sms.example.test", server_port=8443, remote_addr="203.0.113.9"
    )
    options.update(overrides)
    return build_request(FIELDS, EXTRA, **options)


def write_script(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(0o755)
    return path


def gateway(directory: Path) -> CgiGateway:
    return CgiGateway(directory, timeout=10, server_software="smsreply/test", max_stdout=1 << 20)


def parse_env_dump(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


# ---- pure ----------------------------------------------------------------------------


def test_required_variables_and_nothing_of_the_server(monkeypatch):
    monkeypatch.setenv("SMSREPLY_SECRET_MARKER", "do-not-leak")
    environ, body = build_environ(make_request(), "env.sh", "smsreply/test")
    for name, value in REQUIRED.items():
        assert environ[name] == value, name
    assert environ["CONTENT_LENGTH"] == str(len(body))
    assert "SMSREPLY_SECRET_MARKER" not in environ
    assert "HOME" not in environ and "PATH_INFO" not in environ
    http = {name for name in environ if name.startswith("HTTP_")}
    assert http == {"HTTP_USER_AGENT", "HTTP_X_FOO", "HTTP_ACCEPT"}


def test_body_is_urlencoded_utf8_in_ovh_order():
    shuffled = dict(reversed(list(FIELDS.items())))
    environ, body = build_environ(build_request(shuffled, {}), "x.sh", "s")
    assert body == urlencode(FIELDS).encode("utf-8")
    assert list(parse_qs(body.decode())) == ["shortcode", "tag", "id", "senderid", "message"]
    assert parse_qs(body.decode())["message"] == [FIELDS["message"]]
    assert b"caf%C3%A9" in body and b"%F0%9F%98%80" in body  # UTF-8, percent-encoded
    assert environ["CONTENT_LENGTH"] == str(len(body))


def test_header_rules():
    environ, _ = build_environ(make_request(), "env.sh", "s")
    assert environ["HTTP_X_FOO"] == "dash"  # X_Foo dropped, never merged in
    assert environ["HTTP_ACCEPT"] == "text/plain, */*"  # repeats merged in order
    assert environ["HTTP_USER_AGENT"] == "OVH-callback/1.0"
    for never in ("HTTP_PROXY", "HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_CONTENT_TYPE"):
        assert never not in environ


@pytest.mark.parametrize(
    "header, expected",
    [
        (("proxy", "x"), None),
        (("Proxy-Authorization", "Basic eA=="), None),
        (("X-Nul", "a\0b"), None),
        (("X-Wide", "snow ☃"), None),  # not latin-1: cannot have come off the wire
        (("X Space", "v"), None),
        (("X-Dot.Name", "v"), None),
        (("", "v"), None),
        (("X-Latin", "caf\xe9"), "café"),  # ISO-8859-1 byte converted to UTF-8
        (("X-Utf8", "caf\xc3\xa9"), "café"),  # UTF-8 bytes seen through latin-1 restored
        (("X-Folded", "one\r\n two"), "one two"),
    ],
)
def test_single_header(header, expected):
    environ, _ = build_environ(build_request({}, {}, headers=[header]), "x.sh", "s")
    found = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
    assert found == (
        {} if expected is None else {"HTTP_" + header[0].upper().replace("-", "_"): expected}
    )


def test_nul_characters_are_stripped_not_fatal():
    request = build_request(
        {"message": "a\0b"}, {"NOTE": "x\0y"}, server_name="h\0st", remote_addr="1.2.3.4\0"
    )
    environ, body = build_environ(request, "x.sh", "soft\0ware")
    assert all("\0" not in value for value in environ.values())
    assert environ["X_SMSREPLY_NOTE"] == "xy" and environ["SERVER_NAME"] == "hst"
    assert body == b"message=ab"


def test_extra_keys_are_normalised_or_refused():
    environ, _ = build_environ(build_request({}, {"state": "s1", "reply-to": "x"}), "x.sh", "s")
    assert environ["X_SMSREPLY_STATE"] == "s1" and environ["X_SMSREPLY_REPLY_TO"] == "x"
    with pytest.raises(ValueError, match="invalid extra"):
        build_environ(build_request({}, {"BAD KEY": "x"}), "x.sh", "s")


# ---- real scripts --------------------------------------------------------------------


def test_sh_script_sees_every_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("SMSREPLY_SECRET_MARKER", "do-not-leak")
    write_script(
        tmp_path,
        "env.sh",
        """\
        #!/bin/sh
        printf 'Content-Type: text/plain; charset=utf-8\\n\\n'
        env
    """,
    )
    run = gateway(tmp_path).run("env.sh", make_request())
    assert run.outcome.kind == "answer", run.outcome
    seen = parse_env_dump(run.outcome.answer)
    assert "do-not-leak" not in run.outcome.answer
    assert "HTTP_PROXY" not in seen and "HTTP_AUTHORIZATION" not in seen
    assert seen["HTTP_X_FOO"] == "dash"
    for name, value in {**REQUIRED, **run.environ}.items():
        assert seen[name] == value, name
    assert seen["SCRIPT_FILENAME"] == str(tmp_path.resolve() / "env.sh")
    assert set(seen) - set(run.environ) <= {"PWD"}  # dash exports its own PWD
    assert seen.get("PWD") == str(tmp_path.resolve())  # cwd is the script's directory


def test_python_script_sees_exactly_the_environ(tmp_path, monkeypatch):
    monkeypatch.setenv("SMSREPLY_SECRET_MARKER", "do-not-leak")
    write_script(
        tmp_path,
        "env.py",
        f"""\
        #!{sys.executable}
        import json, os
        print("Content-Type: text/plain; charset=utf-8")
        print()
        print(json.dumps(dict(os.environ)))
    """,
    )
    run = gateway(tmp_path).run("env.py", make_request())
    assert run.outcome.kind == "answer", run.outcome
    assert json.loads(run.outcome.answer) == run.environ


def test_large_unicode_body_read_back_exactly(tmp_path):
    message = ("é😀 ñ ß 中文 " * 8000)[:100_000]
    fields = {**FIELDS, "message": message}
    write_script(
        tmp_path,
        "body.py",
        f"""\
        #!{sys.executable}
        import os, sys
        from urllib.parse import parse_qs
        data = sys.stdin.buffer.read(int(os.environ["CONTENT_LENGTH"]))
        open("received.bin", "wb").write(data)
        form = parse_qs(data.decode("utf-8"), strict_parsing=True)
        sys.stdout.buffer.write(b"Content-Type: text/plain; charset=utf-8\\n\\n")
        sys.stdout.buffer.write(form["message"][0][-50:].encode("utf-8"))
    """,
    )
    write_script(
        tmp_path,
        "body.sh",
        """\
        #!/bin/sh
        head -c "$CONTENT_LENGTH" > received-sh.bin
        printf 'Content-Type: text/plain\\n\\n%s\\n' "$(wc -c < received-sh.bin)"
    """,
    )
    expected = urlencode(fields).encode("utf-8")
    request = build_request(fields, EXTRA)
    run = gateway(tmp_path).run("body.py", request)
    assert run.outcome.answer == message[-50:], run
    assert (tmp_path / "received.bin").read_bytes() == expected
    run = gateway(tmp_path).run("body.sh", request)
    assert run.outcome.answer == str(len(expected))
    assert (tmp_path / "received-sh.bin").read_bytes() == expected


def test_python_cgi_module_sees_each_field_once(tmp_path):
    pytest.importorskip("cgi", reason="the cgi module was removed in Python 3.13")
    write_script(
        tmp_path,
        "form.py",
        f"""\
        #!{sys.executable} -W ignore
        import cgi, json
        form = cgi.FieldStorage()
        print("Content-Type: text/plain; charset=utf-8\\n")
        print(json.dumps({{key: form.getvalue(key) for key in form.keys()}}))
    """,
    )
    run = gateway(tmp_path).run("form.py", make_request())
    assert json.loads(run.outcome.answer) == FIELDS  # strings, not lists


def test_perl_cgi_pm_parses_the_body(tmp_path):
    check = subprocess.run(["perl", "-MCGI", "-e1"], capture_output=True)
    if check.returncode != 0:
        pytest.skip("Perl CGI.pm missing (Debian package libcgi-pm-perl)")
    write_script(
        tmp_path,
        "form.pl",
        """\
        #!/usr/bin/perl
        use strict; use CGI;
        my $q = CGI->new;
        print $q->header(-type => 'text/plain', -charset => 'utf-8');
        print join("|", map { "$_=" . scalar $q->param($_) } $q->param), "\\n";
    """,
    )
    run = gateway(tmp_path).run("form.pl", make_request())
    assert run.outcome.kind == "answer", run
    assert run.outcome.answer == "|".join(f"{k}={v}" for k, v in FIELDS.items())


def test_php_cgi_runs_and_parses_the_body(tmp_path):
    php = shutil.which("php-cgi")
    if php is None:
        pytest.skip("php-cgi missing (Debian package php-cgi)")
    write_script(
        tmp_path,
        "form.php",
        f"""\
        #!{php}
        <?php header("Content-Type: text/plain; charset=utf-8");
        echo $_POST["message"], "|", $_SERVER["X_SMSREPLY_SENDER"], "|", count($_GET);
    """,
    )
    run = gateway(tmp_path).run("form.php", make_request())
    assert run.outcome.kind == "answer", run  # REDIRECT_STATUS lets force-cgi-redirect pass
    assert run.outcome.answer == f"{FIELDS['message']}|{EXTRA['SENDER']}|0"


def test_environ_values_reach_script_verbatim(tmp_path):
    write_script(
        tmp_path,
        "one.sh",
        """\
        #!/bin/sh
        printf 'Content-Type: text/plain\\n\\n[%s]' "$X_SMSREPLY_NOTE"
    """,
    )
    note = "line1\nline2 'quoted' $(not run) `nor this` ; rm -rf / é"
    run = gateway(tmp_path).run("one.sh", build_request(FIELDS, {"NOTE": note}))
    assert run.outcome.answer == f"[{note}]"
    assert os.environ.get("X_SMSREPLY_NOTE") is None
