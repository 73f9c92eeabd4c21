"""What the tests stand on: real servers started on loopback ports (gunicorn, nginx,
Prometheus, SMTP, Kannel, a browser), faithful fakes of the peers (``fakes/``), a phone
that posts replies as OVH does (``actions.Phone``, ``actions.post_reply``), and the helpers
of end-to-end tests (``served``: the API and callbacks of a running server;
``waiting.wait_for``). What the benchmark starts too (gunicorn, a private PostgreSQL
server, a free port, the sink, Kannel's boxes, a burst of replies) lives in ``testkit/`` at
the repository's root, which both import.
"""
