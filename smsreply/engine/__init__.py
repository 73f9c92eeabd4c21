"""The work engine: the queue of SMS, e-mails and handlers to run, and what keeps it turning.

``work`` runs claimed jobs, ``heartbeat`` tells which hosts are alive, ``background`` starts
the worker threads, and ``polling`` is the thread that fetches replies from providers that
cannot call us back.
"""
