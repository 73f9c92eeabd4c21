"""A free TCP port on the loopback, for the servers the bench and the tests start.

Example::

    free_port()  # 45123: bound and released; a server started next can take it
"""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
