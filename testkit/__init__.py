"""The real parts the tests and the benchmark both start, each on free loopback ports.

Neither home owns them: ``bench/`` is runnable by anyone from a checkout, ``tests/`` are
the tests, and both stand on this kit (none of it ships in the wheel). smsreply under
gunicorn exactly as ``make run`` starts it (``gunicorn``), a private PostgreSQL server
(``postgres``), a free port (``ports``), Kannel's two boxes (``kannel_boxes``), a fast
stand-in for the operator that records when each answer arrives (``sink``, over the
minimal HTTP of ``wire``), an asyncio load generator (``load``), open conversations written
with direct SQL (``dataset``), and a burst of replies posted and its answers counted
(``scenario``). What *is* a test stays in ``tests/`` (its own kit: ``tests/support/``),
what *is* a measurement stays in ``bench/``.
"""
