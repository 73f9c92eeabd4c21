"""Issue 11, scripts first: real scripts in sh, Python, Perl and PHP (without ``#!``).

Only ``text/plain`` is an answer; the short-code rules apply to every answer; PHP files run
through ``php-cgi`` as Apache runs them; OVH's ``keyword`` (and any other field) reaches
scripts; every handled reply has a result: answered, no_answer or failed with a reason.
"""

import os
import shutil
import subprocess
import sys

import pytest

from tests.support.actions import Phone, copy_examples, write_script

PHP = shutil.which("php-cgi")
needs_php = pytest.mark.skipif(PHP is None, reason="php-cgi is not installed (Debian: php-cgi)")
HAS_CGI_PM = bool(shutil.which("perl")) and (
    subprocess.run(["perl", "-MCGI", "-e1"], capture_output=True).returncode == 0
)
needs_cgi_pm = pytest.mark.skipif(not HAS_CGI_PM, reason="Perl CGI.pm is not installed")

# A Twilio-era script: TwiML, with no '#!' line, saved without the executable bit.
TWIML_PHP = """<?php
header("Content-Type: text/xml");
echo '<?xml version="1.0" encoding="UTF-8"?>';
echo '<Response><Message>Merci pour votre réponse</Message></Response>';
"""
# A debugging leftover: php-cgi's default type is text/html.
VAR_DUMP_PHP = """<?php
var_dump($_POST);
"""
# A gateway script: plain text, every field it was posted (the order is not guaranteed).
FIELDS_PHP = """<?php
header("Content-Type: text/plain; charset=utf-8");
$names = array_keys($_POST);
sort($names);
echo "Reçu ", $_POST["message"], " ; keyword=", $_POST["keyword"] ?? "-";
echo " ; champs=", implode(",", $names);
"""
HTML_SH = """#!/bin/sh
printf 'Content-Type: text/html\\n\\n<html><body>Merci</body></html>\\n'
"""
VARIABLES_SH = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'kw=%s raw=%s e164=%s\\n' "$X_SMSREPLY_KEYWORD" "$X_SMSREPLY_SENDER_RAW" "$X_SMSREPLY_SENDER"
"""
PLAIN_PY = f"""#!{sys.executable}
print("Content-Type: text/plain; charset=utf-8")
print()
print({{text!r}})
"""
LINK_PL = """#!/usr/bin/perl
print "Content-Type: text/plain\\n\\nVisitez https://exemple.fr\\n";
"""
KEYWORD_PL = """#!/usr/bin/perl
use strict; use CGI;
my $q = CGI->new;
print $q->header(-type => 'text/plain', -charset => 'utf-8');
print "keyword=", scalar $q->param('keyword'), " fields=", join(",", sort $q->param), "\\n";
"""


@pytest.fixture
def cgi_dir(tmp_path):
    return tmp_path / "cgi-bin"


def use(service, **options):
    return service.set_reply_options(options)


def credits_spent(service, before: int) -> int:
    return before - service.store.balance()


# ---- item 2: only text becomes an SMS ---------------------------------------------------


@needs_php
@pytest.mark.parametrize(
    ("name", "source", "media_type"),
    [("twiml.php", TWIML_PHP, "text/xml"), ("dump.php", VAR_DUMP_PHP, "text/html")],
)
def test_php_markup_is_a_failed_run_and_costs_nothing(
    app, service, cgi_dir, name, source, media_type
):
    write_script(cgi_dir, name, source, executable=False)
    use(service, action="cgi", script=name)
    phone = Phone(app, service)
    before = service.store.balance()
    result = phone.reply("OUI")
    assert result["answer"] is None and result["reply"]["answer_id"] is None
    assert result["result"] == "failed"
    assert f"unsupported content type '{media_type}'" in result["result_reason"]
    assert credits_spent(service, before) == 1  # the reply itself, no answer
    assert service.store.list_outbox(10)[0]["message"] == phone.conversation["message"]


def test_html_from_a_shell_script_is_not_sent(app, service, cgi_dir):
    write_script(cgi_dir, "page.sh", HTML_SH)
    use(service, action="cgi", script="page.sh")
    result = Phone(app, service).reply("OUI")
    assert (result["result"], result["answer"]) == ("failed", None)
    assert "text/html" in result["result_reason"]


def test_more_answer_types_can_be_allowed(app, service, cgi_dir, settings):
    settings["cgi.answer_types"] = "text/plain, text/html"
    write_script(cgi_dir, "page.sh", HTML_SH)
    use(service, action="cgi", script="page.sh")
    result = Phone(app, service).reply("OUI")
    assert result["result"] == "answered"
    assert result["answer"] == "<html><body>Merci</body></html>"


# ---- item 3: the short-code rules apply to every answer ---------------------------------


def test_a_url_printed_by_a_perl_script_is_refused(app, service, cgi_dir):
    write_script(cgi_dir, "link.pl", LINK_PL)
    use(service, action="cgi", script="link.pl")
    phone = Phone(app, service)
    before = service.store.balance()
    result = phone.reply("OUI")
    assert (result["result"], result["answer"]) == ("failed", None)
    assert "contains a URL (https://exemple.fr)" in result["result_reason"]
    assert result["outcome"]["kind"] == "error"
    assert credits_spent(service, before) == 1


def test_a_url_returned_by_a_handler_is_refused(app, service, tmp_path):
    write_script(
        tmp_path / "handlers",
        "link.py",
        "def handle(reply):\n    return 'Voir www.exemple.fr/promo'\n",
        executable=False,
    )
    use(service, action="handler", handler="link.py")
    result = Phone(app, service).reply("OUI")
    assert (result["result"], result["answer"]) == ("failed", None)
    assert "www.exemple.fr/promo" in result["result_reason"]


def test_an_email_address_is_no_url_on_every_path(app, service, cgi_dir, client, auth):
    text = "Écrivez à contact@exemple.fr"
    write_script(cgi_dir, "mail.py", PLAIN_PY.format(text=text))
    use(service, action="cgi", script="mail.py")
    result = Phone(app, service).reply("info")
    assert (result["result"], result["answer"]) == ("answered", text)
    # the same text as a message and as a predefined text
    response = client.post(
        "/api/messages", json={"to": "0612345670", "message": text}, headers=auth
    )
    assert response.status_code == 201, response.get_json()
    assert use(service, action="text", text=text)["text"] == text


# ---- item 4: scripts run as web servers run them ----------------------------------------


@needs_php
def test_php_without_shebang_runs_through_php_cgi(app, service, cgi_dir):
    write_script(cgi_dir, "sms.php", FIELDS_PHP, executable=False)
    use(service, action="cgi", script="sms.php")
    result = Phone(app, service).reply("Oui", extra={"keyword": "RDV"})
    assert result["result"] == "answered"
    assert result["answer"] == (
        "Reçu Oui ; keyword=RDV ; champs=id,keyword,message,senderid,shortcode,tag"
    )


def test_an_interpreter_can_be_mapped_to_any_extension(app, service, cgi_dir, settings):
    settings["cgi.interpreters"] = '{".py": "python3"}'
    write_script(cgi_dir, "bare.py", PLAIN_PY.format(text="sans dièse").split("\n", 1)[1])
    use(service, action="cgi", script="bare.py")
    assert Phone(app, service).reply("x")["answer"] == "sans dièse"


@pytest.mark.parametrize(
    ("name", "source", "words"),
    [
        ("bare.sh", "echo no shebang\n", "has no '#!' line: add one"),
        ("dos.sh", "#!/bin/sh\r\necho hi\r\n", "ends with CR"),
    ],
)
def test_scripts_that_cannot_start_are_refused_when_saved(
    client, auth, cgi_dir, name, source, words
):
    write_script(cgi_dir, name, source)
    response = client.put(
        "/api/reply-options", json={"action": "cgi", "script": name}, headers=auth
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert words in error["message"] and error["field"] == "script"


def test_a_script_broken_after_saving_is_a_failed_spawn(app, service, cgi_dir):
    script = write_script(cgi_dir, "later.sh", VARIABLES_SH)
    use(service, action="cgi", script="later.sh")
    script.write_text("echo lost its shebang\n")
    result = Phone(app, service).reply("x")
    assert result["result"] == "failed"
    assert result["result_reason"].startswith("spawn: script 'later.sh' has no '#!' line")


# ---- item 5: OVH's sixth field ----------------------------------------------------------


@needs_cgi_pm
def test_perl_cgi_pm_sees_keyword_and_any_new_field(app, service, cgi_dir):
    write_script(cgi_dir, "kw.pl", KEYWORD_PL)
    use(service, action="cgi", script="kw.pl")
    result = Phone(app, service).reply("OUI", extra={"keyword": "RDV", "operator": "orange"})
    assert result["answer"] == (
        "keyword=RDV fields=id,keyword,message,operator,senderid,shortcode,tag"
    )


def test_keyword_and_raw_sender_as_variables(app, service, cgi_dir):
    write_script(cgi_dir, "vars.sh", VARIABLES_SH)
    use(service, action="cgi", script="vars.sh")
    phone = Phone(app, service)
    result = phone.reply("OUI", extra={"keyword": "RDV", "senderid": "0033612345678"})
    assert result["answer"] == "kw=RDV raw=0033612345678 e164=+33612345678"
    # without the sixth field, the variable is set and empty
    assert phone.reply("NON")["answer"] == "kw= raw=+33612345678 e164=+33612345678"


def test_a_field_with_nul_is_a_precise_400(app, client):
    url = f"/callbacks/ovh/{app.config['callback_token']}"
    form = {"id": "1", "senderid": "+33612345678", "message": "x", "keyword": "a\x00b"}
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert "'keyword' contains a NUL" in response.get_json()["error"]["message"]


# ---- item 1: every handled reply has a visible result ------------------------------------


def test_results_of_each_kind(app, service, cgi_dir):
    write_script(cgi_dir, "crash.py", f"#!{sys.executable}\nimport sys\n[][1]\n")
    write_script(cgi_dir, "quiet.sh", "#!/bin/sh\nprintf 'Status: 204 No Content\\n\\n'\n")
    write_script(cgi_dir, "ok.py", PLAIN_PY.format(text="Merci"))
    phone = Phone(app, service)
    seen = {}
    for script in ("crash.py", "quiet.sh", "ok.py"):
        use(service, action="cgi", script=script)
        result = phone.reply("x")
        seen[script] = (result["result"], result["result_reason"])
    assert seen["crash.py"][0] == "failed"
    assert seen["crash.py"][1].startswith("exit: exit status 1: IndexError")
    assert seen["quiet.sh"][0] == "no_answer"
    assert seen["ok.py"] == ("answered", "answer of 5 characters")


@needs_php
def test_the_shipped_php_example_runs_unchanged(app, service, tmp_path):
    copy_examples(tmp_path)
    assert not os.access(tmp_path / "cgi-bin" / "confirm.php", os.X_OK)
    use(service, action="cgi", script="confirm.php")
    phone = Phone(app, service)
    assert phone.reply("oui merci")["answer"] == "Merci, votre rendez-vous est confirmé."
    assert phone.reply("Non")["answer"] == "Votre rendez-vous est annulé."
