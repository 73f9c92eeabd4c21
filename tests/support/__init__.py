"""What the tests stand on: real servers started on loopback ports (gunicorn, nginx,
Prometheus, SMTP, Kannel's boxes, a browser, a private PostgreSQL server in ``postgres``),
faithful fakes of the peers (``fakes/``), a phone that posts replies as OVH does
(``actions.Phone``, ``actions.post_reply``), and the helpers of end-to-end tests (``served``:
the API and callbacks of a running server; ``waiting.wait_for``). The benchmark uses the
same kit (``ports``, ``postgres``); what *is* the benchmark stays in ``bench/``.
"""
