"""The polling thread: replies fetched from a provider that can be polled (OVH), for any host.

When ``ovh.poll_seconds`` is above 0 and the provider can be polled, one thread fetches the
replies the provider holds and feeds them to the same pipeline as the callback (stored
first, deduplicated by the provider's id, so a reply that came both ways counts once); the
provider deletes each only after it is stored. Exactly one process polls, on all hosts: the
thread holds the store's ``exclusive("poller")`` lock (a ``flock`` on a file beside the SQLite
database; a PostgreSQL advisory lock), and the others wait for it and take over if it dies.
"""

from __future__ import annotations

import logging
import threading

from ..monitoring import metrics
from ..providers import ProviderError
from ..service import Service

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, service: Service, interval: float) -> None:
        self.service = service
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="smsreply-poller", daemon=True)

    @staticmethod
    def wanted(service: Service) -> bool:
        return service.settings["ovh.poll_seconds"] > 0 and hasattr(service.provider, "poll")

    def start(self) -> Poller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def poll_once(self) -> int:
        return self.service.provider.poll(self._receive)

    def _receive(self, inbound) -> tuple[dict, bool]:
        name = self.service.provider.name
        reply, created = self.service.receive_reply(inbound, name)
        metrics.reply_received(name, reply, created)
        return reply, created

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self.service.store.exclusive("poller") as held:
                    if held:
                        self._poll_until_stopped()
            except Exception:  # the database is unreachable: try again later
                log.exception("poller lock failed")
            self._stop.wait(self.interval)  # another process polls; take over if it dies

    def _poll_until_stopped(self) -> None:
        while not self._stop.is_set():
            try:
                stored = self.poll_once()
                if stored:
                    log.info("poller stored %d reply(ies)", stored)
            except ProviderError as error:
                log.warning("polling %s failed: %s", self.service.provider.name, error)
            except Exception:
                log.exception("polling failed")
            self._stop.wait(self.interval)
