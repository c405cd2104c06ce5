"""One log line and one latency observation per request, under a request id.

The id comes from the `X-Request-ID` header a proxy or load balancer set, when it looks like
an id (so it lines up with their logs), else it is made here; the answer carries it back.
The route is the URL rule (`/courses/<int:course_id>/threads/<int:thread_id>`), never the
path: no ids, no query string, nothing a person typed.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from lti_tool.observability import metrics
from lti_tool.observability.logs import event, request_id

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
UNMATCHED = "unmatched"  # a path no rule serves (404, 405): its own words stay out of labels

log = logging.getLogger("rapport.requests")


def _begin() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if WELL_FORMED.fullmatch(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    g.request_id_token = request_id.set(g.request_id)


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a hook that ran before ours refused the request
        _begin()
        started = g.request_started
    seconds = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    status = response.status_code
    metrics.REQUEST_DURATION.labels(route, request.method, str(status)).observe(seconds)
    milliseconds = round(seconds * 1000, 1)
    message = f"{request.method} {route} {status} in {milliseconds} ms"
    fields = {"method": request.method, "route": route, "status": status}
    event(log, logging.INFO, message, "request", **fields, duration_ms=milliseconds)
    response.headers[HEADER] = g.request_id
    return response


def _forget(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


def install(app: Flask) -> None:
    """Before every other hook, so that the time counts theirs and their refusals are logged."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)
    app.teardown_request(_forget)
