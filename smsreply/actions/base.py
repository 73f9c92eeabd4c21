"""The contract of a reply action: what an action sees, and what it returns.

An action is built from its options (a dict such as ``{"action": "text", "text": "Merci"}``),
validated once when the customer saves them (``validate``), then ``run`` for each accepted
reply. ``run`` must not raise for a customer's mistake: it returns an ``Outcome`` whose
``detail`` is recorded (what ran, how it ended), and whose ``answer`` — if any — is sent
back to the replier from the conversation's short code.

Example::

    outcome = TextAction({"action": "text", "text": "Merci"}, resources).run(reply)
    outcome.answer  # "Merci"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from .. import __version__
from ..cgi import CgiGateway
from ..setting_values import answer_types, interpreters
from ..text.smart_encoding import smart_encode
from .url_client import UrlClient


class ActionConfigError(ValueError):
    """Options that cannot work; ``field`` names the offending option, ``key`` and
    ``params`` the sentence for translation (see ``errors.SmsReplyError``)."""

    def __init__(
        self, message: str, field: str = "action", key: str = "action_invalid", **params: object
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.key = key
        self.params = params


class Resources:
    """What actions may use: the customer folders, the settings, the per-process gateway."""

    def __init__(self, project_dir: Path, settings: Mapping[str, object]) -> None:
        self.project_dir = Path(project_dir)
        self.settings = settings

    @property
    def cgi_dir(self) -> Path:
        return self.project_dir / self.settings["cgi.directory"]

    @property
    def handlers_dir(self) -> Path:
        return self.project_dir / self.settings["handlers.directory"]

    @cached_property
    def cgi_gateway(self) -> CgiGateway:
        """One per process: it holds this process's side of the concurrency cap."""
        settings = self.settings
        return CgiGateway(
            self.cgi_dir,
            timeout=settings["cgi.timeout"],
            max_stdout=settings["cgi.max_output_bytes"],
            max_stderr=settings["cgi.max_output_bytes"],
            max_running=settings["cgi.max_running"],
            max_answer_chars=settings["cgi.max_answer_chars"],
            lock_dir=Path(settings["database.path"]).parent / "cgi-slots",
            server_software=f"smsreply/{__version__}",
            interpreters=interpreters(settings["cgi.interpreters"]),
            answer_types=self.answer_types,
            fast_spawn=settings["server.fast_paths"],
        )

    @cached_property
    def url_client(self) -> UrlClient:
        """One per process: the ``url`` action's kept-alive connections, by host."""
        return UrlClient(fast=self.settings["server.fast_paths"])

    @cached_property
    def answer_types(self) -> tuple[str, ...]:
        """The media types whose body is an answer (``cgi.answer_types``)."""
        return answer_types(self.settings["cgi.answer_types"])

    @cached_property
    def server(self) -> tuple[str, str]:
        """SERVER_NAME and SERVER_PORT for scripts, from server.base_url."""
        url = urlsplit(self.settings["server.base_url"])
        port = url.port or (443 if url.scheme == "https" else 80)
        return url.hostname or "localhost", str(port)


@dataclass(frozen=True)
class ReplyContext:
    """One accepted reply and its conversation, as an action sees it."""

    reply_id: int
    provider_id: str
    sender: str  # E.164
    message: str
    shortcode: str
    tag: str  # the tag given when the message was sent ("" when none)
    conversation_id: int
    original_message: str
    sent_at: str
    reply_number: int  # 1 for the first reply of the conversation
    state: str | None  # what the previous run asked to keep, None at first
    received_at: str
    remote_addr: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    fields: tuple[tuple[str, str], ...] = ()  # the callback's fields as received (OVH shape)

    @property
    def sender_raw(self) -> str:
        """The sender exactly as the provider wrote it (``0033612345678``…)."""
        return dict(self.fields).get("senderid", self.sender)

    @property
    def keyword(self) -> str:
        """OVH's sixth field, ``keyword`` ("" when the provider sent none)."""
        return dict(self.fields).get("keyword", "")

    def callback_fields(self) -> dict[str, str]:
        """The provider's callback as OVH posts it: what scripts and URLs receive.

        Every field received when the callback was OVH-shaped (``keyword`` and any other
        field OVH adds), in the order received; the five known ones carry what smsreply
        knows (the conversation's tag, the sender in E.164), as they always did."""
        known = {
            "shortcode": self.shortcode,
            "tag": self.tag,
            "id": self.provider_id,
            "senderid": self.sender,
            "message": self.message,
        }
        received = dict(self.fields)
        return {name: known.get(name, value) for name, value in received.items()} | known


UNCHANGED = object()


@dataclass
class Outcome:
    kind: str  # "answer", "no-reply" or "error"
    answer: str | None = None
    detail: dict = field(default_factory=dict)
    state: object = UNCHANGED  # a new conversation state (str or None), or UNCHANGED


class Action:
    """Base class; subclasses set ``type`` and implement ``validate`` and ``run``."""

    type: ClassVar[str]
    # True when ``run`` decides from the options and the reply alone — no I/O, nothing
    # slow, nothing that can fail —, so that a reply routed here can be handled inside the
    # callback's own transaction (``handling.handle_now``).
    immediate: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, object], resources: Resources) -> None:
        self.options = self.validate(options, resources)
        self.resources = resources

    @classmethod
    def validate(cls, options: Mapping[str, object], resources: Resources) -> dict:
        """Return the options normalised, or raise ActionConfigError. Their shape was
        checked by ``options.schema``; here only what depends on the installation."""
        return {"action": cls.type}

    def run(self, reply: ReplyContext) -> Outcome:
        raise NotImplementedError

    def respond(self, reply: ReplyContext) -> Outcome:
        """``run``, then the answer smart-encoded when the options say ``smart_encoding``
        (off by default: a script's answer is sent as the script wrote it)."""
        outcome = self.run(reply)
        if self.options.get("smart_encoding") and outcome.answer:
            encoded = smart_encode(outcome.answer)
            if encoded != outcome.answer:
                outcome.detail["smart_encoded"] = True
                outcome.answer = encoded
        return outcome


def smart_option(options: Mapping[str, object]) -> dict:
    """``{"smart_encoding": True}`` when asked, ``{}`` when not (stored options stay short)."""
    return {"smart_encoding": True} if options.get("smart_encoding") is True else {}
