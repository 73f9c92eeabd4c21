"""The database schema, as ordered migration steps, for SQLite and PostgreSQL alike.

Applied by ``smsreply init`` and at every start (``schema.py`` runs them: each once, in a
transaction). Steps are written in SQLite's words (``id INTEGER PRIMARY KEY``,
INTEGER/TEXT/REAL) and translated for PostgreSQL. One module a step, named as its function
(whose name is recorded once it is applied). To change the schema, add a module
``mNNN_what.py`` and list its step at the end; never edit an applied one.
"""

from __future__ import annotations

from ..schema import Migrations
from .m001_initial import m001_initial
from .m002_users import m002_users
from .m003_blacklist_and_notifications import m003_blacklist_and_notifications
from .m004_unsent_indexes import m004_unsent_indexes
from .m005_sessions_throttle_and_charsets import m005_sessions_throttle_and_charsets
from .m006_reply_results_fields_and_routes import m006_reply_results_fields_and_routes
from .m007_campaigns import m007_campaigns
from .m008_request_keys import m008_request_keys
from .m009_account_notifications import m009_account_notifications
from .m010_campaign_status_done import m010_campaign_status_done
from .m011_claim_tokens import m011_claim_tokens

# In the order they run; a new step goes at the end (its name is recorded once applied).
migrations = Migrations(
    m001_initial,
    m002_users,
    m003_blacklist_and_notifications,
    m004_unsent_indexes,
    m005_sessions_throttle_and_charsets,
    m006_reply_results_fields_and_routes,
    m007_campaigns,
    m008_request_keys,
    m009_account_notifications,
    m010_campaign_status_done,
    m011_claim_tokens,
)
