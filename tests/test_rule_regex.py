"""Customer regexes are bounded (issue 10, item 9).

The rule ``^(\\w+\\s?)*$`` took 8 s on a reply of 26 letters and ``!`` with Python's ``re``,
doubling with each letter. Rules now run on the ``regex`` package (same syntax and
meaning) with a time limit per search, and a rule that still runs for exponential time
is refused at save with a message saying why. Rules saved before keep working.
"""

import json
import subprocess
import sys

import pytest

from smsreply.options.rule_regex import SEARCH_TIMEOUT, compile_rule, matches
from tests.support.servers import ROOT

CATASTROPHIC = r"^(\w+\s?)*$"
REPLY = "abcdefghijklmnopqrstuvwxyz!"  # 26 letters and "!"


# Routing runs in a child process: a runaway ``re`` search holds the GIL, so a thread
# could not be waited for with a timeout, and the test must fail, not hang, on old code.
ROUTE = """
import json, sys
from smsreply.settings import load_settings
from smsreply.web import create_app
database = {"database.path": sys.argv[1], "database.url": sys.argv[2]}
settings = load_settings(None, env={}, overrides=database)
app = create_app(settings)
for message in sys.argv[3:]:
    action, label = app.extensions["smsreply"].plan().route(message)
    print(json.dumps([action.type, label]), flush=True)
"""


def database_of(service) -> list[str]:
    return [service.settings["database.path"], service.settings["database.url"]]


def route(service, *messages: str, seconds: float = 10.0) -> list:
    """Each message's (action type, rule label), routed by a real process within ``seconds``."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", ROUTE, *database_of(service), *messages],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=seconds,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"routing {messages!r} took more than {seconds} s")
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_catastrophic_rule_answers_at_once(service):
    service.set_reply_options(
        {"action": "none", "rules": [{"regex": CATASTROPHIC, "action": "text", "text": "Mot"}]}
    )
    routed = route(service, REPLY, "bonjour à tous")
    assert routed == [["none", None], ["text", f"regex {CATASTROPHIC}"]]


def test_a_regex_that_cannot_be_bounded_is_refused_at_save(client, auth):
    options = {"action": "none", "rules": [{"regex": r"^(a|aa)+$", "action": "none"}]}
    response = client.put("/api/reply-options", json=options, headers=auth)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "rules"
    assert "rules[0]" in error["message"] and "exponential time" in error["message"]


def test_a_rule_saved_before_keeps_working_and_is_cut_short(service):
    # Written as an older version stored it, without the check at save.
    service.store.set_option(
        "reply", {"action": "none", "rules": [{"regex": r"^(a|aa)+$", "action": "none"}]}
    )
    routed = route(service, "aaaa", "a" * 60 + "!")  # the second would run for ages
    assert routed == [["none", "regex ^(a|aa)+$"], ["none", None]]


def test_rules_keep_the_meaning_customers_gave_them():
    assert matches(compile_rule(r"^\w+$"), "Déjà")  # Unicode \w, as with re (RE2: ASCII)
    assert matches(compile_rule(r"(oui)\s+\1"), "OUI oui")  # back-reference
    assert not matches(compile_rule(r"^(?!non)\w+"), "Non merci")  # look-ahead
    assert matches(compile_rule(r"^rdv\s+\d+"), "RDV 12 svp")
    assert SEARCH_TIMEOUT <= 0.5


@pytest.mark.parametrize("text", ["(", "a{2,1}", "[a-"])
def test_invalid_regexes_are_still_refused(client, auth, text):
    options = {"action": "none", "rules": [{"regex": text, "action": "none"}]}
    response = client.put("/api/reply-options", json=options, headers=auth)
    assert response.status_code == 422
    assert "invalid regex" in response.get_json()["error"]["message"]
