"""``GET /metrics``: the Prometheus text format, for the operator's Prometheus only.

Protected by a bearer token, ``metrics.token`` (a secret like the SMTP password: set it in
the environment, ``SMSREPLY_METRICS_TOKEN``; it is never logged). Empty, the route answers
404: metrics are off. Prometheus sends it with ``authorization: {credentials: …}``
(``deploy/prometheus/prometheus.yml``). Counters come from every gunicorn worker
(``smsreply/monitoring/metrics.py``); the database's gauges are read now, once per scrape.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import NotFound, Unauthorized

from ..monitoring import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape():
    service = current_app.extensions["smsreply"]
    token = service.settings["metrics.token"]
    if not token:
        raise NotFound("metrics are off: set metrics.token to serve them")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise Unauthorized(
            "send metrics.token as 'Authorization: Bearer <token>'",
            www_authenticate=WWWAuthenticate("Bearer"),
        )
    text, content_type = metrics.exposition(metrics.StoreCollector(service.store))
    return Response(text, content_type=content_type, headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    metrics.start(app.extensions["smsreply"].provider.name)
