"""Notifications of replies (and the low-credit alert) to the owner, and the SMTP mailer."""
