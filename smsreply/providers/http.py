"""A generic HTTP gateway as a provider: Jasmin's HTTP API, Vonage-style APIs and the like.

Sending fills a request template (``http.send_*``, placeholders in :mod:`.templates`) for
each SMS and reads the gateway's message id from its answer (``http.response_id``: a JSON
key path such as ``messages.0.message-id``, or ``text:<regex>``); replies and delivery
reports are read through configured field names (``http.reply_fields``,
``http.dlr_fields``). Only :meth:`HttpProvider.send` touches the network, over the kept-alive
connections of :mod:`.http_connections`. Setup and examples: ``docs/providers-http.md``.

Example::

    provider = HttpProvider({"send_url": "http://127.0.0.1:1401/send"})  # other keys: defaults
    build_request(provider.template, sms)  # {"method": "POST", "url": …, "data": {…}}
    message_id(200, 'Success "07033084-5cfd"', 'text:Success "([^"]+)"', sms.id)
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

from ..accounts.credentials import ensure_callback_token
from ..settings import SETTINGS, ConfigError
from .base import DeliveryReport, InboundReply, OutgoingSms, Provider, ProviderError, Sent
from .fields import DLR_NAMES, REPLY_NAMES, number_field, read_delivery_report, read_reply
from .http_connections import NoAnswer, Unreachable, connections_to
from .templates import check_template, json_object, render, template_values, value_list

DEFAULTS = {s.name[5:]: s.default for s in SETTINGS if s.name.startswith("http.")}
METHODS_AND_FORMATS = {("GET", "form"), ("POST", "form"), ("POST", "json")}
_SECRET_FIELD = re.compile(r"pass|secret|key|token|auth|sig", re.IGNORECASE)


@dataclass(frozen=True)
class Template:
    """How to send one SMS: checked settings, ready to fill."""

    url: str
    method: str
    body_format: str  # "form" or "json"; a GET sends its fields as the query string
    fields: Mapping[str, object]
    headers: Mapping[str, str]
    dlr_url: str = ""


def build_request(template: Template, sms: OutgoingSms) -> dict[str, object]:
    """Keyword arguments for ``requests.request``; fields that render empty are left out."""
    values = template_values(sms, template.dlr_url)
    fields = {}
    for name, value in template.fields.items():
        value = render(value, values) if isinstance(value, str) else value
        if value != "":
            fields[name] = value
    request = {"method": template.method, "url": template.url, "headers": dict(template.headers)}
    if template.body_format == "json":
        return request | {"json": fields}
    form = {name: json.dumps(v) if isinstance(v, bool) else str(v) for name, v in fields.items()}
    return request | ({"params": form} if template.method == "GET" else {"data": form})


def wire_request(request: Mapping[str, object]) -> tuple[str, str, bytes | None, dict]:
    """``build_request``'s arguments as one HTTP request: (method, URL, body, headers)."""
    headers = {"User-Agent": "smsreply", **request["headers"]}
    url, body = str(request["url"]), None
    if "json" in request:
        body = json.dumps(request["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "data" in request:
        body = urlencode(request["data"]).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif request.get("params"):
        url += ("&" if "?" in url else "?") + urlencode(request["params"])
    return str(request["method"]), url, body, headers


def message_id(status: int, body: str, response_id: str, sms_id: int) -> str:
    """The gateway's id for an accepted SMS, or ProviderError saying whether to retry."""
    snippet = " ".join(body.split())[:200] or "(empty body)"
    if 300 <= status < 400:
        raise ProviderError(f"gateway redirected ({status}): fix http.send_url", retryable=False)
    if status in (408, 429) or not 200 <= status < 500:
        raise ProviderError(f"gateway error {status}: {snippet}", retryable=True)
    if status >= 400:
        raise ProviderError(f"gateway refused the SMS ({status}): {snippet}", retryable=False)
    if not response_id:
        return str(sms_id)
    if response_id.startswith("text:"):
        match = re.search(response_id[5:], body)
        found = match.group(1) if match else None
    else:
        try:
            found = json.loads(body)
        except ValueError:
            found = None
        for key in response_id.split("."):
            if isinstance(found, list) and key.isdigit() and int(key) < len(found):
                found = found[int(key)]
            else:
                found = found.get(key) if isinstance(found, dict) else None
    if isinstance(found, str | int) and not isinstance(found, bool) and str(found).strip():
        return str(found).strip()
    # Queued or not, we cannot tell: a retry could send it twice.
    raise ProviderError(f"gateway gave no message id at {response_id}: {snippet}", retryable=False)


def _check_response_id(response_id: str) -> None:
    if response_id.startswith("text:"):
        try:
            groups = re.compile(response_id[5:]).groups
        except re.error as error:
            raise ConfigError(f"http.response_id: bad regex: {error}") from None
        if groups < 1:
            raise ConfigError("http.response_id: the text: regex needs a (group) for the id")


def _name_map(key: str, value: object, names: tuple[str, ...], required: int) -> dict:
    data = json_object(key, value)
    texts = all(isinstance(name, str) and name for name in data.values())
    if not texts or not set(names[:required]) <= set(data) <= set(names):
        raise ConfigError(
            f"{key} must map {', '.join(names[:required])} (required) and "
            f"{', '.join(names[required:]) or 'nothing else'} to the gateway's field names"
        )
    return data


class HttpProvider(Provider):
    """Any HTTP gateway, described by the ``http.*`` settings (checked here, at start).

    ``options`` holds those settings without the ``http.`` prefix; missing ones take
    their defaults. ``dlr_url`` is what ``{dlr_url}`` stands for; ``fast=False``
    (``server.fast_paths = false``) sends through urllib3's pool instead of ours.
    """

    name = "http"

    def __init__(self, options: Mapping[str, object], dlr_url: str = "", fast: bool = True) -> None:
        options = DEFAULTS | dict(options)
        send_url = str(options["send_url"])
        url = urlsplit(send_url)
        printable = send_url.isprintable() and " " not in send_url  # it goes in the request line
        if url.scheme not in ("http", "https") or not url.hostname or not printable:
            raise ConfigError("http.send_url must be an http(s) URL with a host")
        method, body_format = options["send_method"], options["send_format"]
        if (method, body_format) not in METHODS_AND_FORMATS:
            raise ConfigError(
                "http.send_method must be GET or POST; http.send_format form, or json with POST"
            )
        fields = json_object("http.send_fields", options["send_fields"])
        for name, value in fields.items():
            if isinstance(value, str):
                check_template(f"http.send_fields[{name!r}]", value)
        headers = json_object("http.send_headers", options["send_headers"])
        if not all(_header(name, value) for name, value in headers.items()):
            raise ConfigError("http.send_headers must map header names to printable ASCII text")
        _check_response_id(options["response_id"])
        self.reply_names = _name_map("http.reply_fields", options["reply_fields"], REPLY_NAMES, 3)
        self.dlr_names = _name_map("http.dlr_fields", options["dlr_fields"], DLR_NAMES, 2)
        self.template = Template(url.geturl(), method, body_format, fields, headers, dlr_url)
        self.where = "gateway " + url.netloc.rpartition("@")[2]  # as errors name it: no secret
        self.response_id, self.timeout = options["response_id"], float(options["timeout"])
        self.delivered = value_list(options["dlr_delivered"])
        self.failed = value_list(options["dlr_failed"])
        self.sender = number_field(str(options["sender"]))
        self.allocates_shortcode = self.sender is None  # else every SMS goes from http.sender
        self.acknowledgement = str(options["reply_ack"]) or None  # what the gateway expects
        literal = [v for k, v in fields.items() if _SECRET_FIELD.search(k) and "{" not in str(v)]
        self._secrets = [str(v) for v in (*headers.values(), *literal) if len(str(v)) >= 4]
        self.connections = connections_to(self.template.url, self.timeout, fast)

    @classmethod
    def from_settings(cls, settings: Mapping[str, object], store: object = None) -> HttpProvider:
        """Build from the ``http.*`` settings; ``{dlr_url}`` needs the store (its token)."""
        options = {key: settings[f"http.{key}"] for key in DEFAULTS}
        fast = bool(settings["server.fast_paths"])
        if "{dlr_url}" not in str(options["send_fields"]):
            return cls(options, fast=fast)
        if store is None:
            raise ConfigError("http.send_fields uses {dlr_url}, which needs the database")
        base = str(settings["server.base_url"]).rstrip("/")
        return cls(options, f"{base}/callbacks/http/{ensure_callback_token(store)}/dlr", fast)

    def redact(self, text: str) -> str:
        """``text`` without the header values and literal credential fields."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def send(self, sms: OutgoingSms) -> Sent:
        """Hand one SMS to the gateway; raises ProviderError (``retryable`` says whether)."""
        if self.sender is not None:
            sms = replace(sms, shortcode=self.sender)
        method, url, body, headers = wire_request(build_request(self.template, sms))
        try:
            answer = self.connections.exchange(method, url, body, headers)
        except NoAnswer:
            failure = f"{self.where}: no answer in {self.timeout} s"
            raise ProviderError(failure, retryable=True) from None
        except Unreachable:  # named as requests named it, for the logs people already read
            failure = f"{self.where} unreachable (ConnectionError)"
            raise ProviderError(failure, retryable=True) from None
        text = answer.body.decode(_charset(answer.content_type), "replace")
        try:
            provider_id = message_id(answer.status, text, self.response_id, sms.id)
        except ProviderError as error:
            raise ProviderError(self.redact(error.message), retryable=error.retryable) from None
        return Sent(provider_id=provider_id, shortcode=sms.shortcode)

    def parse_reply(self, fields: Mapping[str, str]) -> InboundReply:
        return read_reply(fields, self.reply_names)

    def parse_delivery_report(self, fields: Mapping[str, str]) -> DeliveryReport:
        return read_delivery_report(fields, self.dlr_names, self.delivered, self.failed)

    def close(self) -> None:
        self.connections.close()


def _header(name: str, value: object) -> bool:
    """A header we can send: no line breaks to start another one, a name without spaces."""
    name_ok = name.isascii() and name.isprintable() and not any(c in name for c in " :")
    return (
        bool(name)
        and name_ok
        and isinstance(value, str)
        and value.isascii()
        and value.isprintable()
    )


def _charset(content_type: str) -> str:
    found = re.search(r"charset=\"?([\w.:-]+)", content_type, re.IGNORECASE)
    try:
        return codecs.lookup(found.group(1)).name if found else "utf-8"
    except LookupError:
        return "utf-8"
