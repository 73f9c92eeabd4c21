"""A real Kannel for end-to-end tests: bearerbox + smsbox on free loopback ports in tmp_path.

The ``kannel.conf`` is the one ``docs/providers-kannel.md`` tells operators to paste (core,
smsbox with ``mo-recode``, a sendsms-user, a catch-all sms-service that forwards to
smsreply and answers nothing itself), plus a *generic HTTP SMSC* standing in for the
operator: Kannel sends MT to ``operator_url`` and takes MO and DLRs on ``smsc_url``.
The boxes are started, waited for and stopped by ``testkit/kannel_boxes.py`` (the bench's
Kannel peer uses the same).

Example::

    with KannelGateway(tmp_path, get_url=callback + "?id=%I&…", operator_url=fake.url) as kannel:
        kannel.sendsms_url, kannel.smsc_url
"""

from __future__ import annotations

from pathlib import Path

from testkit.kannel_boxes import KannelBoxes, find_program, free_port

__all__ = ["GET_URL_QUERY", "PASSWORD", "USERNAME", "KannelGateway", "find_program", "free_port"]

USERNAME, PASSWORD, ADMIN_PASSWORD = "smsreply", "kannel-test-password", "kannel-admin"
# The service's get-url after smsreply's callback URL (docs/providers-kannel.md).
GET_URL_QUERY = "?id=%I&from=%p&to=%P&text=%b&time=%T&smsc=%i&coding=%c&charset=%C"


class KannelGateway(KannelBoxes):
    admin_password = ADMIN_PASSWORD
    smsc_label = "operator[operator]"

    def __init__(self, tmp_path: Path, *, get_url: str, operator_url: str) -> None:
        super().__init__(tmp_path / "kannel")
        self.get_url, self.operator_url = get_url, operator_url
        self.sendsms_url = f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"
        self.smsc_url = f"http://127.0.0.1:{self.ports['smsc']}/"

    def config(self) -> str:
        ports, logs = self.ports, self.dir
        return f"""\
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = {ADMIN_PASSWORD}
admin-allow-ip = 127.0.0.1
smsbox-port = {ports["smsbox"]}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
dlr-storage = internal
log-file = "{logs}/bearerbox.log"
log-level = 0

group = smsc
smsc = http
smsc-id = operator
system-type = generic
port = {ports["smsc"]}
connect-allow-ip = 127.0.0.1
send-url = "{self.operator_url}?from=%P&to=%p&text=%b&coding=%c&dlr-mask=%d"
status-success-regex = "^OK"
generic-foreign-id-regex = "^OK ([0-9a-zA-Z-]+)"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
mo-recode = true
http-request-retry = 3
http-queue-delay = 2
log-file = "{logs}/smsbox.log"
log-level = 0

group = sendsms-user
username = {USERNAME}
password = {PASSWORD}
max-messages = 6
concatenation = true

group = sms-service
keyword = default
catch-all = yes
max-messages = 0
omit-empty = yes
get-url = "{self.get_url}"
"""
