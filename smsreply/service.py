"""The reply service: one object built from explicit parts, used by the web app and the CLI.

It holds the store, the settings, the provider and the clock, and offers the verbs of
smsreply — send a message, accept and handle replies, deliver SMS, read and change the
reply options and credits. Building it starts nothing. Work it stores (a reply, an SMS) is
*submitted* to its ``WorkQueue`` (``work.py``): background threads of this process, when
some run (``background.py``), take it from there at once; without them the work waits in
the database for any process's sweep, or for ``drain()``, which does all due work in the
calling thread (the CLI, tests).

Example::

    service = Service(settings, Store.from_settings(settings))
    conversation = service.send_message("+33612345678", "RDV demain 10h. Répondez OUI")
    service.drain()
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from . import handling, receiving, recording, sending, views
from .actions import Resources
from .campaigns import accepting, report
from .campaigns.reading import Line
from .clock import Clock, to_iso, utcnow
from .engine.heartbeat import Lease
from .engine.work import Engine, WorkQueue
from .errors import Conflict, ValidationError
from .options.routing import ReplyPlan, check_bounded
from .providers import DeliveryReport, InboundReply, Provider, build_provider, callback_parser
from .store import InsufficientCredits, Store
from .text.nul import refuse_nul
from .text.phone import InvalidNumber, parse_french_mobile
from .text.smart_encoding import smart_encode

DEFAULT_OPTIONS = {"action": "none"}


class Service:
    def __init__(
        self,
        settings: Mapping[str, object],
        store: Store,
        provider: Provider | None = None,
        clock: Clock = utcnow,
        project_dir: Path | None = None,
        work_queue: WorkQueue | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.provider = build_provider(settings, store, clock) if provider is None else provider
        self.resources = Resources(project_dir or Path.cwd(), settings)
        self.work_queue = WorkQueue() if work_queue is None else work_queue
        self.engine = Engine(store, settings, self.provider, clock, self.plan, self.work_queue)
        self._plan: tuple[str, ReplyPlan] | None = None

    # -- messages and replies --------------------------------------------------------

    def send_message(
        self, to: object, message: object, tag: object = None, *, smart_encoding: bool = False
    ) -> dict:
        """Open a conversation; ``smart_encoding`` sends typographic characters as GSM-7
        when that makes the message cheaper (``smart_encoding.smart_encode``)."""
        if smart_encoding and isinstance(message, str):
            message = smart_encode(message)
        conversation = sending.send_message(
            self.store, self.settings, self.provider, self.clock, to, message, tag
        )
        self.work_queue.submit("sms", conversation["outgoing_id"])
        return conversation

    def receive_reply(
        self,
        inbound: InboundReply,
        provider: str,
        remote_addr: str = "",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> tuple[dict, bool]:
        """Store a reply (committed before the callback is answered); (its row, True if new).

        When this process has workers, the reply is stored claimed for them, and — the one
        place that decides — handled at once, in the same transaction, when its route needs
        no I/O (``handling.handle_now``): the workers then only send its answer. Otherwise
        they handle it (one transaction fewer: it is theirs already). Without workers here,
        the reply waits in the database for a sweep or ``drain()``.
        """
        received = receiving.describe(self.clock, inbound, provider, remote_addr, headers)
        if not self.work_queue.accepting:
            return receiving.store_reply(self.store, self.settings, received)
        lease = self.engine.new_lease()  # the claim it is stored with, for our workers
        work = None
        try:
            try:  # on PostgreSQL the debits are made by the commit, all or nothing
                reply, created, work = self._store_and_handle(received, lease, True)
            except InsufficientCredits:  # short for some: again, each debit at once
                if not self.store.credits_at_commit:
                    raise
                reply, created, work = self._store_and_handle(received, lease, False)
            if not created or reply["status"] != "pending":  # a duplicate, or refused
                return reply, created
        except InsufficientCredits:  # spent meanwhile by another: stored again, refused
            work = None
            reply, created = receiving.store_reply(self.store, self.settings, received, lease)
            if not created or reply["status"] != "pending":
                return reply, created
        if work is None:
            self.work_queue.submit("reply", reply["id"], lease)
            return reply, created
        reply = work.reply or self.store.get("replies", reply["id"])  # as handled
        for outgoing_id in work.sms:  # queued claimed for this process's workers
            self.work_queue.submit(
                "sms", outgoing_id, work.leases[outgoing_id], work.rows.get(outgoing_id)
            )
        for notification_id in work.emails:
            self.work_queue.submit("email", notification_id)
        return reply, created

    def _store_and_handle(
        self, received: receiving.Received, lease: Lease, at_commit: bool
    ) -> tuple[dict, bool, recording.FollowUps | None]:
        """``receive_reply``'s one transaction: (the reply, True if new, its follow-ups when
        handled at once). ``at_commit``: the debits by the commit (``debit_reply``). The
        reply options are read with what storing the reply reads (one statement on
        PostgreSQL), not before."""
        work = None
        with self.store.write():
            stored = receiving.store_received(
                self.store, self.settings, received, lease, debit_later=True, option="reply"
            )
            reply, created = stored.reply, stored.created
            if not created or reply["status"] != "pending":  # a duplicate, or refused
                return reply, created, None
            plan = self._plan_if_valid(DEFAULT_OPTIONS if stored.option is None else stored.option)
            if plan is not None:
                work = handling.handle_now(
                    self.store,
                    self.settings,
                    self.clock,
                    plan,
                    reply,
                    lease.token,
                    at_commit,
                    stored.conversation,
                    stored.balance,
                )
            if work is None:  # the balance last: its one row is held to the commit
                receiving.debit_reply(self.store, reply, at_commit)  # (else: by handle_now)
        return reply, created, work

    def _plan_if_valid(self, options: dict) -> ReplyPlan | None:
        """The reply options (as read), or None when they no longer compile (a script was
        removed): the work engine then records the error for each reply, as it always has."""
        try:
            return self.plan(options)
        except Exception:  # recorded by handling.act for each reply, never by the callback
            return None

    def callback_parser(self, name: str):
        return callback_parser(name, self.provider)

    def record_delivery(self, report: DeliveryReport) -> bool:
        """Record a delivery report for an SMS we sent; False when no SMS has that id."""
        return self.store.set_delivery(
            self.provider.name,
            report.provider_id,
            report.status,
            report.detail,
            to_iso(self.clock()),
        )

    def drain(self, rounds: int = 10) -> None:
        """Do every due piece of work now, in this thread."""
        self.engine.drain(rounds)

    # -- campaigns -----------------------------------------------------------------------

    def create_campaign(
        self, draft: accepting.Draft, lines: Iterable[Line], dry_run: bool = False
    ) -> dict:
        """Check every line and store the campaign (``dry_run``: only say what it would do)."""
        answer = accepting.accept(self, draft, lines, dry_run)
        if dry_run:
            return answer
        row = self.store.get_campaign(answer["id"])
        summary = report.summary(self.store, row, self.now_iso())
        return {**summary, "balance": answer["balance"], "rejections": answer["rejections"]}

    def cancel_campaign(self, campaign_id: int) -> dict:
        """Stop sending; the credits of what was not sent are refunded."""
        try:
            self.store.cancel_campaign(campaign_id, self.now_iso())
        except ValueError as error:
            raise Conflict(str(error)) from None
        return self.campaign(campaign_id)

    def campaign(self, campaign_id: int) -> dict:
        rate = self.settings["sms.rate_per_second"]
        return report.detail(self.store, campaign_id, self.now_iso(), rate)

    def campaigns(self, limit: int, offset: int = 0) -> list[dict]:
        now = self.now_iso()
        rows = self.store.list_campaigns(limit, offset)
        return [report.summary(self.store, row, now) for row in rows]

    # -- reply options -----------------------------------------------------------------

    def reply_options(self) -> dict:
        return self.store.get_option("reply", DEFAULT_OPTIONS)

    def set_reply_options(self, options: object) -> dict:
        refuse_nul(options)  # the API, the manager and the CLI's --from-json alike
        plan = ReplyPlan.compile(options, self.resources)
        check_bounded(plan)
        with self.store.write():
            self.store.set_option("reply", plan.options)
        self._plan = (json.dumps(plan.options, sort_keys=True), plan)
        return plan.options

    def plan(self, options: dict | None = None) -> ReplyPlan:
        """The compiled reply options (``options``: as read already), rebuilt only when
        they change."""
        if options is None:
            options = self.reply_options()
        key = json.dumps(options, sort_keys=True)
        if self._plan is None or self._plan[0] != key:
            self._plan = (key, ReplyPlan.compile(options, self.resources))
        return self._plan[1]

    # -- credits and reading -----------------------------------------------------------

    def add_credits(self, amount: object, reason: str = "top_up") -> int:
        """Add credits; ``reason`` as stored (``ledger_reasons.top_up(note, user)``)."""
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValidationError(
                "'amount' must be a positive whole number", field="amount", key="amount_invalid"
            )
        if amount > 10**9:
            raise ValidationError(
                "'amount' must be at most 1000000000",
                field="amount",
                key="amount_too_big",
                params={"max": 10**9},
            )
        return self.store.change_credits(amount, to_iso(self.clock()), reason)

    def remove_from_blacklist(self, number: str) -> None:
        """Let a number that replied STOP receive messages again."""
        try:
            number = parse_french_mobile(number)
        except InvalidNumber as error:
            raise ValidationError.from_cause(error, field="number") from None
        self.store.remove_from_blacklist(number)

    def find_conversations(
        self, number: str | None, tag: str | None, status: str | None, limit: int, offset: int = 0
    ) -> tuple[list[dict], int]:
        """Conversations, newest first, as shown; ``number`` in any French form."""
        if number:
            # searched as typed when it is no French mobile: it matches nothing stored
            with contextlib.suppress(InvalidNumber):
                number = parse_french_mobile(number)
        now = self.now_iso()
        rows, total = self.store.find_conversations(
            number or None, tag or None, status, now, limit, offset
        )
        return [views.conversation_summary(row, now) for row in rows], total

    def callback_urls(self, token: str) -> dict[str, str]:
        """Where the provider posts replies and delivery reports (the simulator: OVH's)."""
        route = "ovh" if self.provider.name == "simulator" else self.provider.name
        base = f"{self.settings['server.base_url'].rstrip('/')}/callbacks/{route}/{token}"
        return {"reply_callback_url": base, "delivery_report_url": f"{base}/dlr"}

    def now_iso(self) -> str:
        return to_iso(self.clock())
