"""Installation endpoints of the stable contract: dynamic registration and Canvas's JSON.

`GET /lti/register` is LTI Dynamic Registration 1.0's "Registration Initiation Launch"
(https://www.imsglobal.org/spec/lti-dr/v1p0): the LMS opens it in a window or frame with
`openid_configuration` and `registration_token`; the answer page closes that window with the
`org.imsglobal.lti.close` message (§3.6). `GET /lti/canvas.json` is the Canvas developer key
configuration an admin pastes into Canvas.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, render_template, request

from lti_tool.extensions import rapport
from lti_tool.i18n import lazy_gettext
from lti_tool.lti.registration import RegistrationError, ToolUrls, canvas
from lti_tool.services.platforms.installation import install_dynamically
from lti_tool.views.headers import forget_platform_origins

bp = Blueprint("install", __name__)
log = logging.getLogger(__name__)
CANVAS_JSON_MAX_AGE = 3600


@bp.get("/lti/register")
def register() -> str:
    if request.method == "HEAD":
        return ""  # a link checker's HEAD must not use up the one-time registration token
    openid_configuration = request.args.get("openid_configuration", "").strip()
    registration_token = request.args.get("registration_token", "").strip() or None
    if not openid_configuration:
        raise RegistrationError(
            "missing_openid_configuration",
            lazy_gettext(
                "This address is for your LMS, not for a browser: the LMS opens it with the "
                "address of its OpenID configuration, and none came with this request."
            ),
            lazy_gettext(
                "In the LMS, add Rapport by its registration URL %(url)s (Moodle: Site "
                "administration → Plugins → External tool → Manage tools → Tool URL → Add LTI "
                "Advantage; Canvas: Admin → Developer Keys → + Developer Key → LTI "
                "Registration).",
                url=rapport().settings.public_url + "/lti/register",
            ),
            status=400,
        )
    state = rapport()
    installation = install_dynamically(
        state.http,
        state.sessions,
        state.settings.public_url,
        openid_configuration,
        registration_token,
        request.args.get("invite") or None,
    )
    forget_platform_origins()
    return render_template("install/registered.html", installation=installation)


@bp.get("/lti/canvas.json")
def canvas_json() -> Response:
    response = jsonify(canvas.developer_key(ToolUrls(rapport().settings.public_url)))
    response.cache_control.public = True
    response.cache_control.max_age = CANVAS_JSON_MAX_AGE
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.errorhandler(RegistrationError)
def registration_failed(error: RegistrationError) -> tuple[str, int]:
    token = request.args.get("registration_token")
    english = error.english_message
    said = english.replace(token, "[registration token]") if token else english
    url = request.args.get("openid_configuration", "(none)").split("?")[0]
    log.warning("dynamic registration refused (%s) for %s: %s", error.code, url, said)
    from_lms = bool(request.args.get("openid_configuration"))
    return render_template("install/failed.html", error=error, from_lms=from_lms), error.status
