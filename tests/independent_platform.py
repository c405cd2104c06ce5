"""An LTI 1.3 platform Rapport's authors did not write: PyPI's `lti1p3platform`, run as a Flask app.

lti1p3platform builds the third-party login, validates the tool's OIDC auth request, signs the
id_token with the platform's key, publishes the platform's JWKS and renders the auto-submit
form. This module only adds what the library leaves to its framework adapters (it ships Django
and FastAPI ones, not Flask): routing, the people and courses, and the checks of the auth request
that OpenID Connect Core §3.1.2.1/§3.1.2.2 and LTI Security Framework §5.1.1.2 ask of a platform
and the library skips (response_type, scope, response_mode, prompt, registered redirect_uri).

Extending it (AGS, NRPS, deep linking): append a hook to `launch_hooks`; each is called with the
lti1p3platform message launch, the user, the course and the decoded `lti_message_hint` before the
id_token is signed, so it can call `set_ags`, `set_nrps` or `set_dl`; add service routes to `app`.
The app keeps no session cookie: it shares 127.0.0.1 with Rapport, and cookies ignore ports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flask
from cryptography.hazmat.primitives import serialization
from lti1p3platform.exceptions import PreflightRequestValidationException
from lti1p3platform.framework.templates import template
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

from tests.keys import platform_key
from tests.servers import serve

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR, LEARNER = LIS + "Instructor", LIS + "Learner"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
# What a platform requires of the tool's authentication request (Security Framework §5.1.1.1).
AUTH_REQUEST = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                "prompt": "none"}


@dataclass
class User:
    id: str
    name: str
    email: str | None = None


@dataclass
class Course:
    id: str
    title: str
    label: str | None = None
    members: dict[str, list[str]] = field(default_factory=dict)  # user id → LIS role URIs


class _FlaskRequest(Request):
    def build_metadata(self, request: flask.Request) -> TRequest:
        return {"method": request.method, "form_data": request.form.to_dict(),
                "get_data": request.args.to_dict(), "headers": request.headers,
                "content_type": request.content_type, "path": request.path,
                "json": request.get_json(silent=True)}


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self.platform: IndependentPlatform = kwargs["platform"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self.platform.lti_registration()


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = json.dumps(kwargs, separators=(",", ":"))

    def get_redirect(self, url: str) -> flask.Response:
        return flask.redirect(url)


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> flask.Response:
        return flask.Response(template.render(launch_data), content_type="text/html")


LaunchHook = Callable[[_Launch, User, Course, dict[str, Any]], None]


class IndependentPlatform:
    __test__ = False

    def __init__(self, client_id: str = "lti1p3platform-client", deployment_id: str = "dep-ind-1",
                 issuer: str | None = None) -> None:
        self.client_id, self.deployment_id, self.issuer = client_id, deployment_id, issuer or ""
        key = platform_key()
        self.private_pem = key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        self.public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.users: dict[str, User] = {}
        self.courses: dict[str, Course] = {}
        self.launch_hooks: list[LaunchHook] = []
        self.auth_requests: list[dict[str, str]] = []
        self.base_url = self.tool_url = ""
        self.app = flask.Flask(__name__)
        self.app.add_url_rule("/jwks", "jwks", self._jwks)
        self.app.add_url_rule("/launch/<course_id>/<user_id>", "launch", self._start_launch)
        self.app.add_url_rule("/auth", "auth", self._auth, methods=["GET", "POST"])

    # -- people and courses ----------------------------------------------------------------
    def add_user(self, user_id: str, name: str, email: str | None = None) -> User:
        self.users[user_id] = User(user_id, name, email)
        return self.users[user_id]

    def add_course(self, course_id: str, title: str, label: str | None = None) -> Course:
        self.courses[course_id] = Course(course_id, title, label)
        return self.courses[course_id]

    def enrol(self, course_id: str, user_id: str, *roles: str) -> None:
        self.courses[course_id].members[user_id] = list(roles)

    # -- running and wiring ----------------------------------------------------------------
    @contextmanager
    def running(self) -> Iterator[IndependentPlatform]:
        with serve(self.app) as url:
            self.base_url, self.issuer = url, self.issuer or url
            yield self

    def connect(self, tool_url: str) -> None:
        """Install the tool: Rapport's login, launch and JWKS URLs."""
        self.tool_url = tool_url

    def registration(self) -> dict[str, Any]:
        """This platform as Rapport registers it (PlatformSpec fields)."""
        return {"issuer": self.issuer, "client_id": self.client_id,
                "auth_login_url": self.base_url + "/auth",
                "auth_token_url": self.base_url + "/token",
                "key_set_url": self.base_url + "/jwks", "deployment_ids": [self.deployment_id],
                "name": "lti1p3platform"}

    def lti_registration(self) -> Registration:
        """The tool as this platform registers it (lti1p3platform's Registration)."""
        return (Registration().set_iss(self.issuer).set_client_id(self.client_id)
                .set_deployment_id(self.deployment_id)
                .set_oidc_login_url(self.tool_url + "/lti/login")
                .set_launch_url(self.tool_url + "/lti/launch")
                .set_tool_key_set_url(self.tool_url + "/lti/jwks.json")
                .set_platform_public_key(self.public_pem)
                .set_platform_private_key(self.private_pem))

    def _conf(self) -> _Conf:
        return _Conf(platform=self)

    # -- endpoints -------------------------------------------------------------------------
    def login_url(self, course_id: str, user_id: str, **hint: Any) -> str:
        """The third-party login initiation URL lti1p3platform builds (LTI Core §5.1.1)."""
        login = _Login(None, self._conf())
        login.set_lti_message_hint(course=course_id, link=f"{course_id}-rapport", **hint)
        return login.prepare_preflight_url(user_id)

    def login_params(self, course_id: str, user_id: str, **hint: Any) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.login_url(course_id, user_id, **hint)).query))

    def _jwks(self) -> flask.Response:
        conf = self._conf()
        conf.get_registration()
        return flask.jsonify(conf.get_jwks())

    def _start_launch(self, course_id: str, user_id: str) -> flask.Response:
        return flask.redirect(self.login_url(course_id, user_id))

    def _auth(self) -> flask.Response | tuple[str, int]:
        params = flask.request.values.to_dict()
        self.auth_requests.append(params)
        wrong = [f"{k}={params.get(k)!r}" for k, v in AUTH_REQUEST.items() if params.get(k) != v]
        if params.get("redirect_uri") != self.tool_url + "/lti/launch":
            wrong.append(f"redirect_uri={params.get('redirect_uri')!r} is not registered")
        user = self.users.get(params.get("login_hint", ""))
        try:
            hint = json.loads(params.get("lti_message_hint") or "")
            course = self.courses[hint["course"]]
        except (ValueError, KeyError, TypeError):
            return "unknown lti_message_hint", 400
        if wrong or user is None or user.id not in course.members:
            return "invalid authentication request: " + ", ".join(wrong or ["unknown user"]), 400
        launch = _Launch(_FlaskRequest(flask.request), self._conf())
        launch.set_user_data(user.id, course.members[user.id], user.name, user.email)
        launch.set_launch_context_claim(course.id, [COURSE_OFFERING], course.title, course.label)
        launch.set_resource_link_claim(hint["link"], title="Rapport")
        for hook in self.launch_hooks:
            hook(launch, user, course, hint)
        try:
            response: flask.Response = launch.lti_launch()
        except PreflightRequestValidationException:
            return "lti1p3platform refused the authentication request", 400
        return response


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action")
        elif tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def auto_post_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the auto-submitting form a browser would post."""
    parser = _FormParser()
    parser.feed(html)
    assert parser.action, "no <form action=…> in the platform's answer"
    return parser.action, parser.fields
