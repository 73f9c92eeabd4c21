"""A thin wrapper over python-ovh for the calls smsreply makes to OVH's SMS API.

It builds an ``ovh.Client`` (credentials from our settings when given, else python-ovh's
own lookup: ``OVH_*`` environment variables, then ``ovh.conf``), prefixes every path with
the SMS service, and turns python-ovh's exceptions into :class:`ProviderError`. The
protocol itself (bodies, parsing, error meaning) lives in :mod:`.protocol`.

Example::

    client = OvhClient(endpoint="ovh-eu", application_key="…", application_secret="…",
                       consumer_key="…", service_name="sms-ab12345-1", timeout=30)
    sent = client.send(sms, no_stop_clause=True)
    for incoming_id in client.list_incoming(): ...
"""

from __future__ import annotations

from urllib.parse import quote

import ovh
import ovh.client as ovh_client
import ovh.config as ovh_config
import ovh.exceptions as ovh_errors

from smsreply.providers.base import OutgoingSms, ProviderError, Sent
from smsreply.providers.ovh.protocol import error_from_api, job_body, parse_job_report

DEFAULT_TIMEOUT = 30.0


def resolve_endpoint(endpoint: str | None) -> str | None:
    """Return a name python-ovh accepts for ``endpoint`` (a name like ``ovh-eu`` or a URL).

    python-ovh 1.2 only knows the named endpoints in ``ovh.client.ENDPOINTS``; a base URL
    (a test double, a proxy) is registered there under its own text, so the stock client
    works unchanged. Empty falls back to ``OVH_ENDPOINT`` / ``ovh.conf``, as python-ovh does.
    """
    if not endpoint:
        endpoint = ovh_config.ConfigurationManager().get("default", "endpoint")
    if endpoint and endpoint.startswith(("http://", "https://")):
        endpoint = endpoint.rstrip("/")
        ovh_client.ENDPOINTS.setdefault(endpoint, endpoint)
    return endpoint


class OvhClient:
    """The OVH SMS service ``service_name`` seen through python-ovh."""

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        application_key: str | None = None,
        application_secret: str | None = None,
        consumer_key: str | None = None,
        service_name: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        try:
            self.api = ovh.Client(
                endpoint=resolve_endpoint(endpoint),
                application_key=application_key or None,
                application_secret=application_secret or None,
                consumer_key=consumer_key or None,
                timeout=timeout,
            )
        except ovh_errors.APIError as error:
            raise error_from_api(error) from None
        # Kept only to scrub them from error messages, whichever lookup found them (real
        # ones are 32 characters; a short test value would garble ordinary words).
        credentials = (self.api._application_secret, self.api._consumer_key)
        self._secrets = tuple(secret for secret in credentials if secret and len(secret) >= 8)
        self._service_name = service_name or None

    @property
    def service_name(self) -> str:
        """The configured SMS service, or the account's only one (``GET /sms``)."""
        if self._service_name is None:
            services = self._call("get", "/sms")
            if len(services) != 1:
                raise ProviderError(
                    f"set ovh.service_name: this account has {len(services)} SMS services "
                    f"({', '.join(map(str, services)) or 'none'})",
                    retryable=False,
                )
            self._service_name = str(services[0])
        return self._service_name

    def redact(self, text: str) -> str:
        """``text`` with the application secret and consumer key replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _path(self, *parts: object) -> str:
        return "/sms/" + "/".join(quote(str(part), safe="") for part in (self.service_name, *parts))

    def _call(self, method: str, path: str, **arguments: object) -> object:
        try:
            return getattr(self.api, method)(path, **arguments)
        except ovh_errors.APIError as error:
            raise self._failure(error) from None

    def _failure(self, error: ovh_errors.APIError) -> ProviderError:
        failure = error_from_api(error)
        return ProviderError(self.redact(failure.message), retryable=failure.retryable)

    def send(self, sms: OutgoingSms, no_stop_clause: bool) -> Sent:
        """``POST /sms/{sn}/jobs`` for one reply-capable SMS."""
        return parse_job_report(
            self._call("post", self._path("jobs"), **job_body(sms, no_stop_clause))
        )

    def list_incoming(self) -> list[int]:
        """Ids of the replies OVH holds (``GET /sms/{sn}/incoming``)."""
        return [int(incoming_id) for incoming_id in self._call("get", self._path("incoming"))]

    def get_incoming(self, incoming_id: int) -> dict | None:
        """One ``sms.Incoming``, or None if it is gone (deleted by another poller)."""
        try:
            return self.api.get(self._path("incoming", incoming_id))
        except ovh_errors.ResourceNotFoundError:
            return None
        except ovh_errors.APIError as error:
            raise self._failure(error) from None

    def delete_incoming(self, incoming_id: int) -> None:
        """Remove a reply from OVH once it is stored on our side."""
        self._call("delete", self._path("incoming", incoming_id))

    def find_job_by_tag(self, tag: str, receiver: str | None = None) -> list[int]:
        """Ids of sent SMS carrying ``tag`` (``GET /sms/{sn}/outgoing?tag=…``).

        Jobs still queued (``/jobs``) are not listed by OVH; ours have no deferral.
        """
        filters = {"tag": tag} if receiver is None else {"tag": tag, "receiver": receiver}
        return [int(job_id) for job_id in self._call("get", self._path("outgoing"), **filters)]

    def get_outgoing(self, outgoing_id: int) -> dict:
        """One ``sms.Outgoing``: receiver, message, tag, ptt…"""
        return self._call("get", self._path("outgoing", outgoing_id))

    def close(self) -> None:
        """Close python-ovh's pooled HTTP connections (it has no public close)."""
        session = getattr(self.api, "_session", None)
        if session is not None:
            session.close()
