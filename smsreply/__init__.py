"""smsreply: a self-hosted two-way SMS reply server.

Messages go out from a 5-digit short code; each reply is stored, matched to its
conversation and answered by nothing, a predefined text or a customer's script; every SMS
is debited from a credit balance. ``smsreply.web.create_app`` builds the WSGI app,
``smsreply.cli`` the command line.
"""

__version__ = "0.1.0"
