"""`GET /metrics`: Prometheus text for the operators' scraper (lti_tool.observability.metrics).

With `METRICS_TOKEN` set, a scraper anywhere brings it as `Authorization: Bearer …`; without
it, the page is served only inside the network (loopback and private addresses), where a
university's Prometheus runs. Counts only, labelled by fixed words: nothing about any person.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from lti_tool.extensions import rapport
from lti_tool.observability.metrics import CONTENT_TYPE, exposition, may_read_metrics

bp = Blueprint("metrics", __name__)


def _addresses() -> tuple[str | None, str | None]:
    """The client the proxies report (PROXY_HOPS), and the peer of the connection itself."""
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    return request.remote_addr, peer or request.remote_addr


@bp.get("/metrics")
def metrics() -> Response:
    token = rapport().settings.metrics_token
    if not may_read_metrics(token, request.headers.get("Authorization"), _addresses()):
        if token:
            return Response(
                "/metrics needs the METRICS_TOKEN as a Bearer token.\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
                mimetype="text/plain",
            )
        return Response(
            "/metrics is served inside the network only; set METRICS_TOKEN to read it "
            "from elsewhere.\n",
            403,
            mimetype="text/plain",
        )
    return Response(exposition(), content_type=CONTENT_TYPE)
