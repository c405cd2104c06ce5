"""The demo LMS's OIDC authorization endpoint and its public keys.

LTI 1.3 Core §5.1.1 and Security Framework §5.1.1: the tool's login redirects the browser here
with an OpenID Connect authentication request (`prompt=none`, `response_mode=form_post`); the
platform answers by posting a signed id_token and the state back to the registered redirect URI.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Response, jsonify, render_template, request

from lti_tool.demo.blueprint import bp
from lti_tool.demo.messages import LaunchRequest, deep_linking_claims, resource_link_claims
from lti_tool.demo.people import DemoPerson
from lti_tool.demo.platform import DemoPlatform, demo
from lti_tool.demo.responses import no_store
from lti_tool.extensions import csrf

log = logging.getLogger(__name__)
FIXED_PARAMS = {"response_type": "id_token", "response_mode": "form_post", "prompt": "none"}


class AuthRefused(Exception):  # noqa: N818 - reads as the event it reports
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _check_protocol(platform: DemoPlatform, params: Mapping[str, str]) -> None:
    if "openid" not in params.get("scope", "").split():
        raise AuthRefused("scope must be openid.")
    for name, expected in FIXED_PARAMS.items():
        if params.get(name) != expected:
            raise AuthRefused(f"{name} must be {expected} (got {params.get(name)!r}).")
    if params.get("client_id") != platform.client_id:
        raise AuthRefused(
            f"client_id {params.get('client_id')!r} is not registered here; "
            f"the demo LMS knows Rapport as {platform.client_id!r}."
        )
    if params.get("redirect_uri") != platform.tool_launch_url:
        raise AuthRefused(
            f"redirect_uri {params.get('redirect_uri')!r} is not the tool's "
            f"registered launch URL {platform.tool_launch_url}."
        )
    for name in ("nonce", "state"):
        if not params.get(name):
            raise AuthRefused(f"{name} is required.")


def _check_launch(
    platform: DemoPlatform, params: Mapping[str, str]
) -> tuple[DemoPerson, LaunchRequest]:
    person = platform.course.person(params.get("login_hint", ""))
    if person is None:
        raise AuthRefused(
            f"login_hint {params.get('login_hint')!r} names nobody in the demo course."
        )
    launch = LaunchRequest.from_hint(params.get("lti_message_hint"))
    if launch is None:
        raise AuthRefused("lti_message_hint is missing or not the one the demo LMS sent.")
    if launch.deep_linking and not person.is_staff:
        raise AuthRefused(f"{person.label} is a student and cannot add content to the course.", 403)
    if not launch.deep_linking and platform.link(launch.link_id or "") is None:
        raise AuthRefused(f"the demo course has no link {launch.link_id!r}.", 404)
    return person, launch


@bp.route("/auth", methods=["GET", "POST"])
@csrf.exempt
def auth() -> tuple[str, int] | Response:
    platform = demo()
    params = request.values.to_dict()
    try:
        _check_protocol(platform, params)
        person, launch = _check_launch(platform, params)
    except AuthRefused as exc:
        log.info("demo auth request refused: %s", exc.message)
        return render_template("demo/auth_error.html", message=exc.message), exc.status
    build = deep_linking_claims if launch.deep_linking else resource_link_claims
    id_token = platform.key.sign(build(platform, person, params["nonce"], launch))
    page = render_template(
        "demo/auth_post.html",
        action=platform.tool_launch_url,
        fields={"id_token": id_token, "state": params["state"]},
        person=person,
    )
    return no_store(Response(page, content_type="text/html; charset=utf-8"))


@bp.get("/jwks.json")
def jwks() -> Response:
    response = jsonify(demo().key.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
