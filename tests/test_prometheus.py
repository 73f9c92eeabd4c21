"""The shipped Prometheus set-up, with the real tools (Debian's ``prometheus`` package):
``promtool check rules`` and ``promtool test rules`` (a unit test firing each alert), then a
real Prometheus configured from ``deploy/prometheus/prometheus.yml`` scraping two gunicorn
hosts that share one database: both are up, the replies posted to either add up, every
metric the alerts and the Grafana dashboard name exists, the rules load and the low-credit
one goes pending. With Chromium, the dashboard's main queries are drawn by Prometheus's own
graph page from that data: ``docs/screenshots/prometheus.png`` (``docs/operations.md``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from urllib.parse import urlencode

import pytest
import yaml

from tests.support.prometheus import SHIPPED, Prometheus, prometheus_binary
from tests.support.served import api, callback, send
from tests.support.servers import ROOT, GunicornServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(
    prometheus_binary() is None or shutil.which("promtool") is None,
    reason="prometheus not installed (tests/system-deps.sh installs it)",
)

TOKEN = "prometheus-test-t0ken"
DASHBOARD = ROOT / "deploy" / "grafana" / "smsreply.json"


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["promtool", *args], cwd=SHIPPED, capture_output=True, text=True, timeout=120
    )


def test_the_rules_pass_promtool_and_each_alert_has_a_unit_test_that_fires_it():
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0 and "SUCCESS: 6 rules found" in checked.stdout, checked
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr
    rules = yaml.safe_load((SHIPPED / "alerts.yml").read_text())["groups"][0]["rules"]
    alerts = {rule["alert"] for rule in rules}
    assert alerts == {
        "SmsreplyLowCredit",
        "SmsreplyWorkStuck",
        "SmsreplyScriptFailures",
        "SmsreplyProviderErrors",
        "SmsreplyDatabaseUnreachable",
        "SmsreplyHostNotReady",
    }
    cases = yaml.safe_load((SHIPPED / "alerts.test.yml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in cases
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert fired == alerts


def test_the_unit_tests_can_fail(tmp_path):
    """A wrong expectation fails ``promtool test rules``: the tests above test something."""
    broken = (SHIPPED / "alerts.test.yml").read_text().replace("93 credits left", "94 credits")
    broken = broken.replace("  - alerts.yml", f"  - {SHIPPED / 'alerts.yml'}", 1)
    (tmp_path / "broken.test.yml").write_text(broken)
    result = subprocess.run(
        ["promtool", "test", "rules", "broken.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "FAILED" in result.stderr + result.stdout
    assert "smsreply has 93 credits left" in result.stderr + result.stdout


def metric_names(text: str) -> set[str]:
    return set(re.findall(r"\bsmsreply_[a-z_]+\b", text))


def test_prometheus_scrapes_two_hosts(tmp_path, database_url):
    shared = {"database_path": tmp_path / "shared.db", "metrics_token": TOKEN}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    host_a = GunicornServer(tmp_path / "a", database_url, **shared).init()
    host_b = GunicornServer(tmp_path / "b", database_url, **shared)
    host_b.api_key, host_b.callback_path = host_a.api_key, host_a.callback_path
    with host_a, host_b:
        targets = [f"127.0.0.1:{host_a.port}", f"127.0.0.1:{host_b.port}"]
        with Prometheus(tmp_path, targets, TOKEN) as prometheus:
            assert api(host_a, "PUT", "/api/reply-options", json={"action": "none"}).ok
            conversations = [send(host_a, to=f"06777777{n:02d}") for n in range(3)]
            for n in range(12):  # to each host in turn
                host = (host_a, host_b)[n % 2]
                conversation = conversations[n % 3]
                assert callback(host, conversation, f"p-{n}", "OUI").status_code == 200
            accepted = 'sum(smsreply_replies_received_total{status="accepted"})'
            assert wait_for(lambda: prometheus.value(accepted) == 12, 60)
            per_host = prometheus.query(
                'sum by (instance) (smsreply_replies_received_total{status="accepted"})'
            )
            assert {row["metric"]["instance"]: row["value"][1] for row in per_host} == {
                targets[0]: "6",
                targets[1]: "6",
            }
            assert prometheus.value('count(up{job="smsreply"} == 1)') == 2
            balance = api(host_a, "GET", "/api/credits").json()["balance"]
            assert prometheus.value("max(smsreply_credits_balance)") == balance == 100 - 3 - 12
            known = set(prometheus.api("label/__name__/values"))
            wanted = metric_names((SHIPPED / "alerts.yml").read_text())
            wanted |= metric_names(DASHBOARD.read_text())
            assert wanted - known == set(), "alerts or dashboard name a metric never exported"
            groups = prometheus.api("rules")["groups"]
            rules = [rule for group in groups for rule in group["rules"]]
            assert len(rules) == 6 and {rule["health"] for rule in rules} == {"ok"}
            assert wait_for(lambda: low_credit_state(prometheus) == "pending", 30)
            if chromium_installed():  # half a minute of traffic to draw, then its picture
                assert api(host_a, "POST", "/api/credits", json={"amount": 100}).ok
                for n in range(120):
                    host, conversation = (host_a, host_b)[n % 2], conversations[n % 3]
                    stranger = {"shortcode": conversation["shortcode"], "to": "0699999999"}
                    callback(host, stranger if n % 5 == 0 else conversation, f"s-{n}", "OUI")
                    time.sleep(0.25)
                screenshot(tmp_path, prometheus)


def low_credit_state(prometheus) -> str | None:
    alerts = prometheus.api("alerts")["alerts"]
    states = [a["state"] for a in alerts if a["labels"]["alertname"] == "SmsreplyLowCredit"]
    return states[0] if states else None


# The dashboard's main panels, as Prometheus's graph page draws them (no Grafana in Debian).
SHOWN = ("Replies received / s, by status", "Callback latency (p50, p95, p99)", "Credits balance")


def chromium_installed() -> bool:
    return os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")


def screenshot(tmp_path, prometheus) -> None:
    from tests.support.browser import chromium

    panels = {p["title"]: p for p in json.loads(DASHBOARD.read_text())["panels"]}
    params = {}
    for index, title in enumerate(SHOWN):
        params |= {
            f"g{index}.expr": panels[title]["targets"][-1]["expr"],
            f"g{index}.tab": "0",
            f"g{index}.range_input": "2m",
        }
    driver = chromium(tmp_path)
    try:
        driver.set_window_size(1280, 2300)
        driver.get(f"{prometheus.url}/graph?{urlencode(params)}")
        time.sleep(3)  # the graphs load their data, then draw
        driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        drawn = "return document.querySelectorAll('.rickshaw_graph path.path').length"
        assert driver.execute_script(drawn) >= len(SHOWN)  # a line in each graph
        folder = ROOT / (os.environ.get("SMSREPLY_SCREENSHOTS") or "docs/screenshots")
        folder.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(folder / "prometheus.png"))
    finally:
        driver.quit()
