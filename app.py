"""Gunicorn entry point: ``gunicorn -c config/gunicorn.conf.py app:app``."""

from smsreply.web import create_app

app = create_app()
