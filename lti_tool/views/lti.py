"""LTI endpoints of the stable contract: login, launch and the tool's public keys."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, request, session

from lti_tool.db import utcnow
from lti_tool.extensions import cache, csrf, db, platforms_now, rapport
from lti_tool.frame_session import carry_session
from lti_tool.lti.launch import LtiGate
from lti_tool.lti.storage import SharedLaunchStorage
from lti_tool.lti.tool_conf import DatabaseToolConf
from lti_tool.models.course import CourseRole
from lti_tool.observability.events import launch_reached
from lti_tool.services.access import CourseGrant, add_grant
from lti_tool.services.launches import record_launch_committed
from lti_tool.views.deep_linking import placed_activity_url, start_deep_linking
from lti_tool.views.headers import forget_platform_origins
from lti_tool.views.language import remember_locale
from lti_tool.views.roster import sync_roster_if_stale

bp = Blueprint("lti", __name__)


def _gate() -> LtiGate:
    state = rapport()
    return LtiGate(
        settings=state.settings,
        tool_conf=DatabaseToolConf(db(), state.keyring, state.platforms, platforms_now()),
        storage=SharedLaunchStorage(cache),
        platform_keys=state.platform_keys,
        cookie_options=state.cookie_options,
    )


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> Response:
    params = request.values.to_dict()
    return _gate().login(params)


@bp.post("/lti/launch")
@csrf.exempt
def launch() -> Response:
    result = _gate().launch()
    session_db = db()
    record = record_launch_committed(
        session_db,
        result.claims,
        result.registration,
        result.deployment_pk,
        rapport().recent_launches,
    )
    if record.learned_origins:
        forget_platform_origins()  # the page this launch lands on may be framed from there
    if result.cookies_refused_with is not None:
        # Platform storage proved the login, but this frame keeps no cookie: Rapport's links
        # and forms carry the session from here on (`frame_session`).
        carry_session(request)
    if record.role is CourseRole.STAFF:
        sync_roster_if_stale(session_db, record.course_id)  # in the background: never waits
    grant = CourseGrant(record.course_id, record.person_id, record.role)
    session["grants"] = add_grant(session.get("grants") or {}, grant, utcnow())
    session.permanent = False
    claims = result.claims
    remember_locale(claims.locale)
    launch_reached(
        "deep_linking" if claims.is_deep_linking else "course",
        issuer=claims.issuer,
        client_id=claims.client_id,
        deployment_id=claims.deployment_id,
        course_id=record.course_id,
        role=record.role.value,
    )
    if claims.is_deep_linking:
        return start_deep_linking(result, grant)
    # POST → GET so that a reload never re-posts the id_token.
    return redirect(placed_activity_url(record), code=303)  # type: ignore[return-value]


@bp.get("/lti/jwks.json")
@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(rapport().keyring.jwks())
    # i18n: not translated (an HTTP header)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
