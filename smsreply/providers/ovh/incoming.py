"""OVH's held replies (``sms.Incoming``) fetched and deleted: the OVH half of polling.

OVH keeps every reply as an ``sms.Incoming`` until it is deleted, and offers no "unread"
filter, so each poll lists them all, hands each to ``receive`` (the service's pipeline,
which stores the reply durably and deduplicates by provider id) and deletes it from OVH
only once ``receive`` returned. A reply whose ``receive`` raised stays on OVH and is
offered again at the next poll; a crash between storing and deleting only causes a
duplicate that the pipeline drops. Run it from one process at a time:
the thread of ``smsreply.engine.polling`` does, for every host.

Example::

    stored = poll_once(provider.client, lambda reply: service.receive_reply(reply, "ovh"))
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from smsreply.providers.base import InboundReply, InvalidCallback, ProviderError
from smsreply.providers.ovh.client import OvhClient
from smsreply.providers.ovh.protocol import parse_incoming

log = logging.getLogger(__name__)


def poll_once(client: OvhClient, receive: Callable[[InboundReply], object]) -> int:
    """Store then delete every reply OVH holds; return how many ``receive`` stored.

    Listing or fetching failures raise :class:`ProviderError` (the next poll retries).
    """
    stored = 0
    for incoming_id in sorted(client.list_incoming()):
        data = client.get_incoming(incoming_id)
        if data is None:
            continue  # deleted since it was listed
        try:
            inbound = parse_incoming(data)
        except InvalidCallback as error:
            log.warning("OVH incoming %s left on OVH: %s", incoming_id, error)
            continue
        try:
            receive(inbound)
        except Exception:
            log.exception("OVH incoming %s not stored; left on OVH for the next poll", incoming_id)
            continue
        stored += 1
        try:
            client.delete_incoming(incoming_id)
        except ProviderError as error:
            # Stored already: the next poll offers it again and the pipeline drops the copy.
            log.warning("OVH incoming %s stored but not deleted: %s", incoming_id, error.message)
    return stored
