"""smsreply's benchmark and fault runs: ``make bench`` and ``make faults``, reproducible anywhere.

Everything runs on 127.0.0.1 and stops by itself. The parts it starts, which the tests
start too, live in ``testkit/``: smsreply under gunicorn exactly as ``make run`` starts it
(``testkit.gunicorn``), a fast stand-in for the operator that records when each answer
arrives (``testkit.sink``), an asyncio load generator posting OVH-shaped callbacks
(``testkit.load``), and direct SQL to create conversations and a large history quickly
(``testkit.dataset``). What is measured, and how it is reported, is here.
``python -m bench --help`` lists the options; ``docs/performance.md`` has the results.
"""
