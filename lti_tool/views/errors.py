"""Error pages: every refusal is a clear 4xx page (JSON when asked), logged with its reason; a
database or Redis that does not answer is a 503 page naming it, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, abort, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, default_exceptions

from lti_tool.i18n import _, lazy_gettext
from lti_tool.lti.errors import CookiesBlocked, LaunchError, Text
from lti_tool.lti.launch import NEW_WINDOW_PARAMS
from lti_tool.lti.platform_storage import StorageCheckNeeded
from lti_tool.observability.events import launch_refused, launch_step
from lti_tool.services.refusals import Refused
from lti_tool.startup import one_line

log = logging.getLogger(__name__)

# The page's heading for each status (werkzeug names them in English only).
TITLES: dict[int, Text] = {
    400: lazy_gettext("Bad Request"),
    401: lazy_gettext("Unauthorized"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Not Found"),
    405: lazy_gettext("Method Not Allowed"),
    409: lazy_gettext("Conflict"),
    410: lazy_gettext("Gone"),
    413: lazy_gettext("Request Entity Too Large"),
    415: lazy_gettext("Unsupported Media Type"),
    422: lazy_gettext("Unprocessable Entity"),
    424: lazy_gettext("Failed Dependency"),
    429: lazy_gettext("Too Many Requests"),
    500: lazy_gettext("Internal Server Error"),
    502: lazy_gettext("Bad Gateway"),
    503: lazy_gettext("Service Unavailable"),
}
# What the page says when a view aborted without saying why (werkzeug's own words).
DESCRIPTIONS: dict[int, Text] = {
    400: lazy_gettext(
        "The browser (or proxy) sent a request that this server could not understand."
    ),
    401: lazy_gettext(
        "The server could not verify that you are authorized to access the URL requested. You "
        "either supplied the wrong credentials (e.g. a bad password), or your browser doesn't "
        "understand how to supply the credentials required."
    ),
    403: lazy_gettext(
        "You don't have the permission to access the requested resource. It is either "
        "read-protected or not readable by the server."
    ),
    404: lazy_gettext(
        "The requested URL was not found on the server. If you entered the URL manually please "
        "check your spelling and try again."
    ),
    405: lazy_gettext("The method is not allowed for the requested URL."),
    413: lazy_gettext("The data value transmitted exceeds the capacity limit."),
    429: lazy_gettext("This user has exceeded an allotted request count. Try again later."),
    500: lazy_gettext(
        "The server encountered an internal error and was unable to complete your request. "
        "Either the server is overloaded or there is an error in the application."
    ),
    503: lazy_gettext(
        "The server is temporarily unable to service your request due to maintenance downtime "
        "or capacity problems. Please try again later."
    ),
}


def _wants_json() -> bool:
    if any(mimetype.endswith("+json") for mimetype, _ in request.accept_mimetypes):
        return True  # LTI service clients (AGS, NRPS) ask for vendor JSON media types
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _launch_error(error: LaunchError) -> tuple[Response | str, int]:
    step = (request.endpoint or "lti").rpartition(".")[2]  # "login" or "launch"
    if error.status < 400:
        launch_step(error.code, step)
    else:
        launch_refused(error.code, step, error.status, error.english_message)
    if _wants_json():
        return jsonify(error.as_json()), error.status
    if isinstance(error, StorageCheckNeeded):
        return render_template("lti/storage_launch.html", error=error), error.status
    if isinstance(error, CookiesBlocked):
        kept = {k: v for k, v in error.context["login_params"].items() if k in NEW_WINDOW_PARAMS}
        params = {**kept, "lti1p3_new_window": "1"}
        return render_template("lti/cookies_blocked.html", error=error, params=params), error.status
    return render_template("errors/launch.html", error=error), error.status


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 500
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.path, error.description)
    said = error.description
    if status in DESCRIPTIONS and said == type(error).description:
        said = str(DESCRIPTIONS[status])
    message = str(said) if said is not None else ""  # a lazy message, read now
    if _wants_json():
        return jsonify(error=error.name, message=message), status
    title = str(TITLES.get(status, error.name))
    return render_template("errors/http.html", status=status, title=title, message=message), status


def _refused(refused: Refused) -> tuple[Response | str, int]:
    """A service's refusal answers as `abort(status, message)` would, with nothing written: the
    request's transaction is rolled back before the page is drawn."""
    session = g.get("db")
    if session is not None:
        session.rollback()
    return _http_error(default_exceptions[refused.status](description=refused.message))


def _csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    log.warning("CSRF refused on %s: %s", request.path, error.description)
    error.description = _(
        "This form has expired or did not come from Rapport. Reload the page and try again."
    )
    return _http_error(error)


def service_unavailable(message: str, title: str | None = None) -> tuple[Response | str, int]:
    """503: what Rapport depends on is down or not ready, and the page says so."""
    if title is None:
        title = _("Service unavailable")
    if _wants_json():
        return jsonify(error="Service Unavailable", message=message), 503
    return render_template("errors/http.html", status=503, title=title, message=message), 503


def _database_down(error: DBAPIError) -> tuple[Response | str, int]:
    """Whichever view met the outage: connections refused, dropped or timed out, anywhere."""
    log.error("database unavailable on %s %s: %s", request.method, request.path, one_line(error))
    g.unavailable = True  # the security headers then ask it nothing more for this page
    return service_unavailable(
        _("Rapport cannot reach its database just now. Nothing was lost: try again in a minute.")
    )


def _redis_down(error: RedisError) -> tuple[Response | str, int]:
    log.error("Redis unavailable on %s %s: %s", request.method, request.path, error)
    g.unavailable = True
    return service_unavailable(
        _(
            "Rapport cannot reach the store it keeps sign-ins in just now, so it cannot let "
            "anyone in. Nothing was lost: try again in a minute. If it lasts, tell the "
            "administrators of Rapport that Redis is not answering."
        )
    )


def _refuse_nul_characters() -> None:
    """No field a person types may hold a NUL character: no database stores one, and no
    legitimate text contains one. A clear 400 instead of a failed write."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(
                    400,
                    description=_(
                        "What was sent contains a NUL character, which Rapport cannot store. "
                        "Remove it and send it again."
                    ),
                )


def register(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    app.register_error_handler(LaunchError, _launch_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(InterfaceError, _database_down)
    app.register_error_handler(RedisError, _redis_down)
