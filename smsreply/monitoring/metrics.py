"""Prometheus metrics: every metric smsreply exports, defined once here, and the one-line
calls the places where events funnel make (the callbacks, the work engine, the CGI gateway,
the login throttle, the error handlers).

Counters and histograms live in the process that counts them; under gunicorn they are
``prometheus_client``'s multiprocess values (``PROMETHEUS_MULTIPROC_DIR``, set and emptied
by ``config/gunicorn.conf.py`` before any worker starts), so every worker's counts add up in
one scrape. Gauges that are the database's state (due work and its age, the balance,
campaign recipients, readiness) are read at scrape time by ``StoreCollector`` through store
verbs: nothing is queried per reply. Labels are bounded: provider names, statuses, action
types, exit classes — never a number or a message.

Example::

    metrics.reply_received("ovh", reply_row, created=True)
    text, content_type = metrics.exposition(StoreCollector(store, time.time))
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

JOB_KINDS = ("reply", "sms", "email", "campaign")  # as ``work.KINDS``
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REPLIES_RECEIVED = Counter(
    "smsreply_replies_received_total",
    "Replies received, by provider and status (accepted, duplicate, or why not accepted)",
    ["provider", "status"],
)
REPLIES_HANDLED = Counter(
    "smsreply_replies_handled_total",
    "Replies handled, by action type and result (answered, no_answer, failed)",
    ["action", "result"],
)
SCRIPT_RUNS = Counter(
    "smsreply_script_runs_total",
    "CGI script runs, by exit class (ok, error, signal, timeout, spawn, busy)",
    ["exit"],
)
SCRIPT_SECONDS = Histogram(
    "smsreply_script_duration_seconds", "CGI script run time", buckets=SECONDS_BUCKETS
)
CALLBACK_SECONDS = Histogram(
    "smsreply_callback_duration_seconds",
    "Time to answer a provider callback, by route (reply, dlr) and status code",
    ["route", "code"],
    buckets=SECONDS_BUCKETS,
)
SMS_SENT = Counter("smsreply_sms_sent_total", "SMS the provider accepted", ["provider"])
SMS_SEND_ERRORS = Counter(
    "smsreply_sms_send_errors_total",
    "Failed hand-offs of an SMS to the provider, by whether it will be retried",
    ["provider", "retried"],
)
SMS_FAILED = Counter(
    "smsreply_sms_failed_total", "SMS given up for good (their credits refunded)", ["provider"]
)
DELIVERY_REPORTS = Counter(
    "smsreply_delivery_reports_total",
    "Delivery reports received, by outcome (delivered, failed, pending) and match",
    ["provider", "status", "matched"],
)
LOGIN_FAILURES = Counter("smsreply_login_failures_total", "Failed manager logins")
LOGINS_THROTTLED = Counter(
    "smsreply_logins_throttled_total", "Manager logins refused because the client must wait"
)
DATABASE_ERRORS = Counter(
    "smsreply_database_errors_total",
    "Requests and background jobs that failed because the database could not be used",
    ["where"],
)


EXITS = ("ok", "error", "signal", "timeout", "spawn", "busy")
RECIPIENT_STATES = ("queued", "sent", "failed", "cancelled", "stopped")


def start(provider: str) -> None:
    """Every series an alert or the dashboard reads, at 0 from the start: a rate over a
    series that does not exist yet is no data, not zero."""
    REPLIES_RECEIVED.labels(provider, "accepted")
    for exit_class in EXITS:
        SCRIPT_RUNS.labels(exit_class)
    SMS_SENT.labels(provider)
    SMS_FAILED.labels(provider)
    for retried in ("true", "false"):
        SMS_SEND_ERRORS.labels(provider, retried)
    for status in ("delivered", "failed"):
        DELIVERY_REPORTS.labels(provider, status, "true")
    for where in ("request", "worker"):
        DATABASE_ERRORS.labels(where)


_children: dict[tuple, object] = {}


def _child(metric, *labels: str):
    """``metric.labels(*labels)``, kept: the callbacks count without prometheus_client's
    lock and label checks (3 µs a call). Safe across forks: each value reopens its file
    when the process id changes."""
    key = (metric, labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def reply_received(provider: str, reply: dict, created: bool) -> None:
    """Count a stored reply: accepted, duplicate, or its reason (late, unmatched, stop…)."""
    status = (reply["reason"] or "accepted") if created else "duplicate"
    _child(REPLIES_RECEIVED, provider, status).inc()


def reply_handled(action: str, result: str) -> None:
    _child(REPLIES_HANDLED, action, result).inc()


def script_ran(exit_class: str, seconds: float) -> None:
    _child(SCRIPT_RUNS, exit_class).inc()
    SCRIPT_SECONDS.observe(seconds)


def callback_answered(route: str, status: int, seconds: float) -> None:
    _child(CALLBACK_SECONDS, route, str(status)).observe(seconds)


def sms_sent(provider: str) -> None:
    _child(SMS_SENT, provider).inc()


def sms_send_error(provider: str, retried: bool) -> None:
    SMS_SEND_ERRORS.labels(provider, "true" if retried else "false").inc()
    if not retried:
        SMS_FAILED.labels(provider).inc()


def delivery_report(provider: str, status: str, matched: bool) -> None:
    DELIVERY_REPORTS.labels(provider, status, "true" if matched else "false").inc()


def login_failed() -> None:
    LOGIN_FAILURES.inc()


def login_throttled() -> None:
    LOGINS_THROTTLED.inc()


def database_error(where: str) -> None:
    DATABASE_ERRORS.labels(where).inc()


class StoreCollector(Collector):
    """The database's state as gauges, read when Prometheus scrapes (store verbs only)."""

    def __init__(self, store, now: Callable[[], float] = time.time) -> None:
        self.store = store
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("smsreply_database_up", "1 when the database answered")
        current = GaugeMetricFamily(
            "smsreply_schema_current", "1 when the database has every schema step this code has"
        )
        try:
            families = list(self._families(self.now()))
        except Exception as error:  # an unreachable database is a value, not a failed scrape
            log.warning("metrics: the database cannot be read: %s", type(error).__name__)
            database_error("metrics")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        current.add_metric([], 0 if self.store.pending_migrations() else 1)
        yield up
        yield current
        yield from families

    def _families(self, now: float) -> Iterator[GaugeMetricFamily]:
        due = GaugeMetricFamily(
            "smsreply_jobs_due", "Jobs due and not held, by kind", labels=["kind"]
        )
        age = GaugeMetricFamily(
            "smsreply_oldest_due_job_age_seconds",
            "Seconds the oldest due job of each kind has waited (0: none due)",
            labels=["kind"],
        )
        for kind in JOB_KINDS:
            count, created, next_attempt = self.store.due_backlog(kind, now)
            since = max(_epoch(created), next_attempt) if count else now
            due.add_metric([kind], count)
            age.add_metric([kind], max(now - since, 0.0))
        balance = GaugeMetricFamily("smsreply_credits_balance", "Credits left on the account")
        balance.add_metric([], self.store.balance())
        recipients = GaugeMetricFamily(
            "smsreply_campaign_recipients", "Campaign recipients by state", labels=["state"]
        )
        counts = dict.fromkeys(RECIPIENT_STATES, 0) | self.store.recipients_by_state()
        for state, count in sorted(counts.items()):
            recipients.add_metric([state], count)
        yield from (due, age, balance, recipients)


def _epoch(iso: str | None) -> float:
    return datetime.fromisoformat(iso).timestamp() if iso else 0.0


def exposition(*collectors: Collector) -> tuple[bytes, str]:
    """The text Prometheus scrapes: every process's counts (multiprocess mode under
    gunicorn, else this process's), then ``collectors``'."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY) + generate_latest(registry), CONTENT_TYPE_LATEST
