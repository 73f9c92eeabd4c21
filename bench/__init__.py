"""smsreply's benchmark and fault runs: ``make bench`` and ``make faults``, reproducible anywhere.

Everything runs on 127.0.0.1 and stops by itself: smsreply under gunicorn exactly as
``make run`` starts it (``server``), a fast stand-in for the operator that records when each
answer arrives (``sink``), an asyncio load generator posting OVH-shaped callbacks (``load``),
and direct SQL to create conversations and a large history quickly (``dataset``).
``python -m bench --help`` lists the options; ``docs/performance.md`` has the results.
"""
