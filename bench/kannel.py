"""The peer measured in the same run: Kannel (bearerbox + smsbox) doing smsreply's jobs.

Kannel gets the bench's own configuration, written here (nothing copied from a Kannel
install): a generic HTTP SMSC that takes each reply (MO) from the load generator on its
``port`` and hands each answer (MT) to the sink's ``/send`` — the same generator, the same
sink, the same pairing fields (``tag``, ``id``: the phone number, one per reply) — and one
catch-all ``sms-service`` that answers either with a fixed ``text`` or by ``exec`` of the
bench's sh script (Kannel runs it through ``popen``, one at a time, stdout as the answer).
``store=True`` turns on Kannel's message store (``store-type = spool``): every MO and MT is
written to a spool directory before it is acknowledged, as smsreply commits before its 200.
Logging is at warning level, as smsreply's is.

Example::

    with KannelPeer(tmp, sink.url, "exec", store=True) as kannel:
        requests = kannel.replies(targets)   # GET /?from=…&to=…&text=OUI
        kannel.usage()                       # CPU of both boxes and the scripts they ran
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from testkit.dataset import Target
from testkit.gunicorn import Usage, process_usage
from testkit.kannel_boxes import KannelBoxes
from testkit.wire import request

from .actions import ANSWER, SCRIPTS
from .run import post_replies

# Kannel's jobs, named like smsreply's actions they are compared with.
JOBS = {"exec": "cgi-sh", "text": "text"}


def phone_targets(count: int, offset: int = 0) -> list[Target]:
    """One distinct sender per reply: Kannel's answer names it, so it pairs with the reply."""
    return [
        Target(index, f"+3361{offset + index:07d}", "38000", f"+3361{offset + index:07d}")
        for index in range(count)
    ]


class KannelPeer(KannelBoxes):
    admin_password = "bench"

    def __init__(self, workdir: Path, sink_url: str, job: str, store: bool = False) -> None:
        if job not in JOBS:
            raise ValueError(f"unknown Kannel job {job!r}; known: {', '.join(JOBS)}")
        super().__init__(Path(workdir) / f"kannel-{job}-{'spool' if store else 'nostore'}")
        (self.dir / "spool").mkdir(exist_ok=True)
        self.job, self.store, self.sink_url = job, store, sink_url
        self.port = self.ports["smsc"]  # where the load generator posts the replies

    def service(self) -> str:
        if self.job == "text":
            return f'text = "{ANSWER}"'
        # popen runs it through /bin/sh; the script reads the message as smsreply gives it.
        return f'exec = "X_SMSREPLY_MESSAGE=%b {SCRIPTS["cgi-sh"]}"'

    def config(self) -> str:
        ports, logs = self.ports, self.dir
        store = f'store-type = spool\nstore-location = "{self.dir}/spool"\n' if self.store else ""
        send = f"{self.sink_url}/send?to=%p&from=%P&content=%b&tag=%p&id=%p"
        return f"""\
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = {self.admin_password}
admin-allow-ip = 127.0.0.1
smsbox-port = {ports["smsbox"]}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{logs}/bearerbox.log"
log-level = 2
{store}
group = smsc
smsc = http
smsc-id = sink
system-type = generic
port = {ports["smsc"]}
connect-allow-ip = 127.0.0.1
send-url = "{send}"
status-success-regex = "^Success"
generic-status-sent = 200

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
log-file = "{logs}/smsbox.log"
log-level = 2

group = sms-service
keyword = default
catch-all = yes
{self.service()}
"""

    def replies(self, targets: list[Target], message: str = "OUI") -> list[bytes]:
        """The operator's MO, one per target, as the generic HTTP SMSC takes them."""
        host = f"127.0.0.1:{self.port}"
        return [
            request(
                "GET",
                "/?" + urlencode({"from": t.recipient, "to": t.shortcode, "text": message}),
                host,
            )
            for t in targets
        ]

    def usage(self) -> Usage:
        """CPU of bearerbox and smsbox, with the scripts smsbox ran (reaped children)."""
        return process_usage([process.pid for process in self.processes])


def run_peer(workdir: Path, sink, job: str, store: bool, first: int, args) -> dict:
    """Kannel doing ``job``: a burst and a paced run, exactly as ``run_action`` does for
    smsreply; ``first`` numbers the senders so that no two phases share one."""
    burst = args.replies
    targets = phone_targets(burst + args.replies, first)
    with KannelPeer(workdir, sink.url, job, store) as kannel:
        bursted = post_replies(
            kannel, sink, targets[:burst], f"kannel-{job}", args.concurrency,
            requests=kannel.replies(targets[:burst]),
        )  # fmt: skip
        rate = min(args.rate, max(bursted["replies_per_second"] * 0.5, 1.0))
        count = max(10, min(args.replies, int(rate * args.paced_seconds)))
        paced_targets = targets[burst : burst + count]
        paced = post_replies(
            kannel, sink, paced_targets, f"kannel-{job}-paced", 32, rate=rate,
            requests=kannel.replies(paced_targets),
        )  # fmt: skip
    name = f"kannel {job}" + (" spool" if store else "")
    return {"action": name, "peer": True, "floor": 0.0, "burst": bursted, "paced": paced}
