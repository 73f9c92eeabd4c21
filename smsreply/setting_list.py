"""Every setting of smsreply, declared once as data: its name (``section.key``, as in the
TOML file), its default (whose type is the setting's) and its help. ``settings.py`` reads
values for them; ``docs/configuration.md`` and ``config/smsreply.toml`` describe them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str  # "section.key", as in the TOML file
    default: object
    help: str

    @property
    def env_var(self) -> str:
        return "SMSREPLY_" + self.name.upper().replace(".", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("database.path", "var/smsreply.db", "SQLite file; relative: to the project folder"),
    Setting(
        "database.url",
        "",
        "Empty: the SQLite file above; postgresql://user:pass@host:5432/db: PostgreSQL",
    ),
    Setting("database.busy_timeout", 30.0, "Seconds a writer waits for another writer's lock"),
    Setting("database.pool_size", 10, "PostgreSQL: most connections each process keeps open"),
    Setting(
        "database.lock_timeout",
        2.0,
        "PostgreSQL: seconds a statement waits for a row another host holds (then 503, try "
        "again); 0: forever",
    ),
    Setting(
        "database.statement_timeout",
        60.0,
        "PostgreSQL: seconds one statement may run before it is cancelled; 0: no limit",
    ),
    Setting(
        "database.idle_in_transaction_timeout",
        5.0,
        "PostgreSQL: seconds a transaction may wait on its host (frozen, paused) before the "
        "server ends it and frees its rows; 0: forever",
    ),
    Setting(
        "database.keepalive_seconds",
        10.0,
        "PostgreSQL: idle seconds before TCP keepalives probe a silent peer (both ends); 0: off",
    ),
    Setting(
        "server.base_url",
        "http://127.0.0.1:8080",
        "Public base URL, used in printed URLs; unset: follows server.bind",
    ),
    Setting("server.bind", "127.0.0.1:8080", "Address gunicorn listens on"),
    Setting("server.workers", 2, "Gunicorn worker processes"),
    Setting("server.threads", 8, "Threads per gunicorn worker"),
    Setting("server.max_body_bytes", 65536, "Largest request body accepted (413 beyond)"),
    Setting(
        "server.cpu_ledger",
        "",
        "Folder where each server process writes its CPU time by part as it stops (the bench)",
    ),
    Setting("server.proxy_hops", 0, "Reverse proxies in front whose X-Forwarded-* are trusted"),
    Setting(
        "server.fast_paths",
        True,
        "false: start scripts with subprocess.Popen and speak HTTP through urllib3 (slower)",
    ),
    Setting("provider.name", "simulator", "Upstream provider: simulator, ovh, kannel or http"),
    Setting("reply.window_hours", 48.0, "How long after a message its replies are accepted"),
    Setting("reply.credits_per_reply", 1, "Credits debited for each accepted reply"),
    Setting("sms.max_parts", 6, "Most concatenated parts one SMS may use (OVH: 6, manager: 255)"),
    Setting("sms.shortcode_min", 30000, "Lowest 5-digit short code the simulator allocates"),
    Setting("sms.shortcode_max", 89999, "Highest 5-digit short code the simulator allocates"),
    Setting(
        "sms.rate_per_second",
        10.0,
        "Campaign SMS handed to the provider per second, all campaigns and processes together",
    ),
    Setting("campaign.max_recipients", 200000, "Most lines (valid or not) one campaign may have"),
    Setting(
        "campaign.max_upload_bytes",
        20_000_000,
        "Largest campaign upload (CSV or JSON) accepted by POST /api/campaigns (413 beyond)",
    ),
    Setting("simulator.dlr_delay", 1.0, "Seconds before the simulator reports delivery (0: never)"),
    Setting("simulator.failure_rate", 0.0, "Share of simulated SMS reported failed, 0.0 to 1.0"),
    Setting("credits.initial", 100, "Credits granted by `smsreply init` on a new database"),
    Setting(
        "credits.alert_below",
        0,
        "E-mail credits.alert_email once each time the balance falls below this (0: never)",
    ),
    Setting("credits.alert_email", "", "Who gets the low-credit e-mail, e.g. compta@example.org"),
    Setting("credits.alert_from", "smsreply@localhost", "From address of the low-credit e-mail"),
    Setting("worker.threads", 4, "Background threads per process handling replies and sends"),
    Setting(
        "worker.lease_seconds",
        60.0,
        "How long a crashed worker's claim holds (renewed while work runs)",
    ),
    Setting("worker.sweep_seconds", 5.0, "How often each process looks for unfinished work"),
    Setting("worker.max_attempts", 5, "Tries of an SMS or e-mail hand-off before it fails"),
    Setting("worker.retry_base_seconds", 2.0, "First retry delay; doubles each try (with jitter)"),
    Setting("log.level", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR"),
    Setting("log.format", "text", "text, or json: one JSON object a line, with its request id"),
    Setting(
        "metrics.token",
        "",
        "Bearer token Prometheus sends to GET /metrics (prefer the environment); empty: off",
    ),
    Setting(
        "metrics.directory",
        "var/metrics",
        "Folder where gunicorn's processes share their metrics; emptied at each start",
    ),
    Setting("cgi.directory", "cgi-bin", "Folder of the CGI scripts (relative: to the project)"),
    Setting("handlers.directory", "handlers", "Folder of the in-process Python handlers"),
    Setting("cgi.timeout", 10.0, "Seconds a cgi-bin script may run before its group is killed"),
    Setting("cgi.max_running", 8, "Scripts running at once, across all server processes"),
    Setting("cgi.max_output_bytes", 65536, "Bytes of a script's stdout (and of stderr) kept"),
    Setting("cgi.max_answer_chars", 1600, "Longest answer a script or handler may give"),
    Setting(
        "cgi.interpreters",
        '{".php": "php-cgi"}',
        "JSON object: extension -> interpreter for scripts without a '#!' line",
    ),
    Setting(
        "cgi.answer_types",
        "text/plain",
        "Comma-separated media types sent as an SMS; other output is a failed run",
    ),
    Setting("url.timeout", 10.0, "Seconds one whole exchange with the customer's URL may take"),
    Setting("url.attempts", 3, "Tries of the customer's URL on network errors and 5xx"),
    Setting("smtp.host", "localhost", "SMTP server for e-mail notifications"),
    Setting("smtp.port", 25, "SMTP port (587 for STARTTLS, 465 for TLS)"),
    Setting("smtp.security", "none", "none, starttls or tls"),
    Setting("smtp.username", "", "SMTP login; empty: no authentication"),
    Setting("smtp.password", "", "SMTP password (prefer the environment variable)"),
    Setting("smtp.timeout", 10.0, "Seconds to wait for the SMTP server"),
    Setting("ovh.endpoint", "ovh-eu", "python-ovh endpoint name (ovh-eu, ovh-ca…) or base URL"),
    Setting("ovh.application_key", "", "OVH application key; empty: OVH_* env vars / ovh.conf"),
    Setting("ovh.application_secret", "", "OVH application secret; empty: python-ovh lookup"),
    Setting("ovh.consumer_key", "", "OVH consumer key; empty: python-ovh lookup"),
    Setting("ovh.service_name", "", "The SMS account, e.g. sms-ab12345-1"),
    Setting("ovh.timeout", 30.0, "Seconds to wait for OVH's API"),
    Setting("ovh.poll_seconds", 0.0, "Poll OVH for replies every N s (0: callbacks only)"),
    Setting("ovh.no_stop_clause", True, "Send noStopClause (short-code messages carry no STOP)"),
    Setting("manager.low_balance", 10, "Balance under which the manager warns of low credit"),
    Setting("manager.session_hours", 12.0, "A manager login lasts this long, however busy"),
    Setting("manager.timezone", "Europe/Paris", "Time zone of the times the manager shows (IANA)"),
    Setting("http.send_url", "", "Gateway URL taking one SMS, e.g. http://127.0.0.1:1401/send"),
    Setting("http.send_method", "POST", "GET or POST"),
    Setting("http.send_format", "form", "POST body: form (urlencoded) or json; GET: query"),
    Setting(
        "http.send_fields",
        '{"to": "{to}", "from": "{shortcode}", "coding": "{coding}", '
        '"content": "{message_gsm}", "hex-content": "{message_ucs2_hex}"}',
        "JSON object: gateway field -> template ({to}, {message}…); empty results are left out",
    ),
    Setting("http.send_headers", "{}", "JSON object of extra headers, e.g. Authorization"),
    Setting(
        "http.response_id",
        'text:Success "([^"]+)"',
        "Gateway message id: JSON key path, text:(regex), or empty for ours",
    ),
    Setting("http.timeout", 10.0, "Seconds one whole exchange with the gateway may take"),
    Setting("http.reply_ack", "", "Body answering each callback (Jasmin: ACK/Jasmin); empty: JSON"),
    Setting("http.sender", "", "Number every SMS is sent from; empty: smsreply picks short codes"),
    Setting(
        "http.reply_fields",
        '{"id": "id", "sender": "from", "message": "content", "shortcode": "to"}',
        "JSON object: id, sender, message (shortcode, tag) -> the gateway's reply fields",
    ),
    Setting(
        "http.dlr_fields",
        '{"id": "id", "status": "message_status"}',
        "JSON object: id, status -> the gateway's delivery-report fields",
    ),
    Setting("http.dlr_delivered", "DELIVRD,delivered", "Comma-separated DLR statuses: delivered"),
    Setting(
        "http.dlr_failed",
        "UNDELIV,REJECTD,EXPIRED,DELETED,failed,rejected,expired",
        "Comma-separated DLR statuses: failed (others: pending)",
    ),
    Setting(
        "kannel.sendsms_url",
        "http://127.0.0.1:13013/cgi-bin/sendsms",
        "Kannel smsbox's sendsms URL",
    ),
    Setting("kannel.username", "", "Kannel sendsms-user username"),
    Setting("kannel.password", "", "Kannel sendsms-user password (prefer the environment)"),
    Setting("kannel.smsc", "", "Kannel smsc-id to send through; empty: Kannel's own routing"),
    Setting("kannel.dlr_mask", 31, "Kannel dlr-mask: sum of 1, 2 (phone), 4 (queued), 8, 16 SMSC"),
    Setting("kannel.timeout", 10.0, "Seconds to wait for Kannel's sendsms answer"),
)

# What each PostgreSQL session sets so that a frozen host stops nobody (store/postgres.py).
DATABASE_LIMITS = (
    "database.lock_timeout",
    "database.statement_timeout",
    "database.idle_in_transaction_timeout",
    "database.keepalive_seconds",
)
