"""A Names and Role Provisioning Services 2.0 platform over real HTTP, written from the spec and
the captured Moodle 4.5 and Canvas payloads — never with Rapport's own code.

It answers the OAuth 2.0 client-credentials grant (Security Framework §4.1: the client
assertion is verified against the tool's published JWKS with PyJWT) and serves a membership
container (NRPS 2.0 §2.2) paged the way each LMS pages it:

- "moodle": short role names (`Learner`), `?limit=N&from=K`, and a `Link: rel="next"` only
  when a limit was asked for (tests/fixtures/lms/moodle-4.5/nrps_response_paged.json);
- "canvas": full role URIs, extra keys (`lti11_legacy_user_id`, `lis_person_sourcedid`),
  `?page=N&per_page=N` with `rel="current"`, `"next"`, `"first"` and `"last"` links, and pages
  of 10 when no limit is asked for.

Faults can be injected: answer statuses queued for the next page requests, a gate that holds
page requests until a test opens it, and access tokens that expire all at once (401).

`add_nrps(platform, tokens)` adds NRPS to the independent lti1p3platform test platform, next
to the token endpoint of tests/independent_services.py.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import flask
import jwt
from lti1p3platform.membership import Context
from lti1p3platform.service_connector import NamesRoleProvisioningService
from werkzeug.wrappers import Request, Response

from tests.fixtures import FIXTURES
from tests.independent_platform import Course, IndependentPlatform, User, _Conf
from tests.independent_services import TokenEndpoint, _flask_response, _PagedRequest
from tests.servers import serve

CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
PATHS = {
    "moodle": "/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
    "canvas": "/api/lti/courses/1/names_and_roles",
}


def fixture_member(shape: str) -> dict[str, Any]:
    """The first member of the captured (Moodle) or documented (Canvas) roster."""
    folder = "moodle-4.5" if shape == "moodle" else "canvas"
    body = json.loads((FIXTURES / folder / "nrps_response.json").read_text())["body"]
    return dict(body["members"][0])


def member(
    shape: str,
    n: int,
    role: str = "Learner",
    *,
    private: bool = False,
    status: str | None = "Active",
) -> dict[str, Any]:
    """Member number n in a platform's own shape; `private` withholds name, email, picture."""
    data = fixture_member(shape)
    data.update(
        user_id=f"user-{n:05d}",
        name=f"Person {n:05d}",
        given_name="Person",
        family_name=f"{n:05d}",
        email=f"person{n}@example.edu",
    )
    data["roles"] = [role] if shape == "moodle" else [LIS + role]
    if shape == "moodle":
        data["ext_user_username"] = f"person{n}"
    else:
        data["lti11_legacy_user_id"] = secrets.token_hex(20)
    if private:
        for key in ("name", "given_name", "family_name", "email", "picture", "ext_user_username"):
            data.pop(key, None)
    if status is None:
        data.pop("status", None)
    else:
        data["status"] = status
    return data


class NrpsPlatform:
    __test__ = False

    def __init__(self, shape: str = "moodle", client_id: str = "client-1") -> None:
        assert shape in PATHS
        self.shape, self.client_id = shape, client_id
        self.members: list[dict[str, Any]] = []
        self.tool_jwks_url = ""
        self.base_url = ""
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.page_requests: list[str] = []
        self.faults: list[int] = []  # statuses for the next page requests, in order
        self.gate: threading.Event | None = None  # page requests wait until it is set
        self.waiting = threading.Event()  # set while a page request waits at the gate
        self._lock = threading.Lock()

    @contextmanager
    def running(self) -> Iterator[NrpsPlatform]:
        with serve(self._wsgi) as url:
            self.base_url = url
            yield self

    @property
    def memberships_url(self) -> str:
        return self.base_url + PATHS[self.shape]

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    def launch_claim(self) -> dict[str, Any]:
        """The NRPS claim a launch carries (NRPS 2.0 §3.6.1)."""
        return {
            CLAIM: {"context_memberships_url": self.memberships_url, "service_versions": ["2.0"]}
        }

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # -- HTTP ------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/token" and request.method == "POST":
            response = self._token(request)
        elif request.path == PATHS[self.shape] and request.method == "GET":
            response = self._memberships(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def _token(self, request: Request) -> Response:
        with self._lock:
            self.token_requests += 1
        form = request.form
        try:
            assert form.get("grant_type") == "client_credentials"
            assert form.get("client_assertion_type") == (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            )
            assertion = form["client_assertion"]
            key = jwt.PyJWKClient(self.tool_jwks_url).get_signing_key_from_jwt(assertion)
            claims = jwt.decode(assertion, key.key, algorithms=["RS256"], audience=self.token_url)
            assert claims["iss"] == claims["sub"] == self.client_id
        except (AssertionError, KeyError, jwt.PyJWTError) as exc:
            body = {"error": "invalid_client", "error_description": repr(exc)}
            return Response(json.dumps(body), status=400, content_type="application/json")
        scopes = form.get("scope", "").split()
        token = secrets.token_urlsafe(16)
        if SCOPE in scopes:
            self.tokens.add(token)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(scopes),
        }
        # Moodle's token.php labels its JSON text/html.
        kind = "text/html; charset=utf-8" if self.shape == "moodle" else "application/json"
        return Response(json.dumps(body), content_type=kind)

    def _memberships(self, request: Request) -> Response:
        self.page_requests.append(request.full_path)
        if self.gate is not None:
            self.waiting.set()
            assert self.gate.wait(30), "the test never opened the gate"
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return Response(
                json.dumps({"error": "invalid_token"}), status=401, content_type="application/json"
            )
        if request.headers.get("Accept", "").split(";")[0] != CONTAINER:
            return Response("wrong media type", status=406)
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            return Response("", status=fault)
        page, links = (self._moodle_page if self.shape == "moodle" else self._canvas_page)(request)
        body = {
            "id": self.memberships_url,
            "context": {"id": "2", "label": "LTILAB", "title": "LTI Lab Course"},
            "members": page,
        }
        headers = {"Link": ", ".join(f'<{u}>; rel="{r}"' for r, u in links)} if links else {}
        return Response(
            json.dumps(body), content_type=CONTAINER + "; charset=utf-8", headers=headers
        )

    def _moodle_page(self, request: Request) -> tuple[list[Any], list[tuple[str, str]]]:
        if "limit" not in request.args:
            return self.members, []
        limit, start = int(request.args["limit"]), int(request.args.get("from", 0))
        page = self.members[start : start + limit]
        if start + limit >= len(self.members):
            return page, []
        query = urlencode({"limit": limit, "from": start + limit})
        return page, [("next", f"{self.memberships_url}?{query}")]

    def _canvas_page(self, request: Request) -> tuple[list[Any], list[tuple[str, str]]]:
        size = int(request.args.get("limit") or request.args.get("per_page") or 10)
        number = int(request.args.get("page", 1))
        last = max(1, -(-len(self.members) // size))
        page = self.members[(number - 1) * size : number * size]

        def url(n: int) -> str:
            return f"{self.memberships_url}?{urlencode({'page': n, 'per_page': size})}"

        links = [("current", url(number))]
        if number < last:
            links.append(("next", url(number + 1)))
        links += [("first", url(1)), ("last", url(last))]
        return page, links


# -- NRPS on the independent platform (PyPI's lti1p3platform) ----------------------------------
class _NrpsService(NamesRoleProvisioningService):
    """lti1p3platform's membership service over one course of the independent platform."""

    def __init__(self, nrps: IndependentNrps, course: Course) -> None:
        conf = _Conf(platform=nrps.platform)
        conf.get_registration()
        super().__init__(_PagedRequest(flask.request), conf, nrps.url(course.id))
        self.roster, self.course = nrps, course  # `self.nrps` is lti1p3platform's LtiNrps

    def get_context_by_id(self) -> Context:
        return Context(self.course.id, self.course.label or "", self.course.title)

    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
        **_: Any,
    ) -> Any:
        people = [
            self.roster.member_json(user, roles) for user, roles in self.course.members.items()
        ]
        if limit is None:
            return {"content": people, "has_next": False}
        start = (page - 1) * limit
        return {"content": people[start : start + limit], "has_next": start + limit < len(people)}


class IndependentNrps:
    """NRPS 2.0 routes and launch claim; `private` users' names and emails are withheld, and
    `status` overrides a member's Active."""

    def __init__(self, platform: IndependentPlatform, tokens: TokenEndpoint) -> None:
        self.platform, self.tokens = platform, tokens
        self.private: set[str] = set()
        self.status: dict[str, str] = {}
        self.requests: list[str] = []

    def url(self, course_id: str) -> str:
        return f"{self.platform.base_url}/nrps/{course_id}/memberships"

    def member_json(self, user_id: str, roles: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": user_id,
            "roles": roles,
            "status": self.status.get(user_id, "Active"),
        }
        user = self.platform.users[user_id]
        if user_id not in self.private:
            data.update(name=user.name, email=user.email)
        return data

    def launch_hook(self, launch: Any, user: User, course: Course, hint: dict[str, Any]) -> None:
        launch.set_nrps(self.url(course.id))

    def view(self, course_id: str) -> flask.Response:
        self.requests.append(flask.request.full_path)
        if (refusal := self.tokens.validate_bearer(flask.request, SCOPE)) is not None:
            return refusal
        service = _NrpsService(self, self.platform.courses[course_id])
        return _flask_response(service.handle_resp(service.handle_get_members))


def add_nrps(platform: IndependentPlatform, tokens: TokenEndpoint) -> IndependentNrps:
    """NRPS on the platform's app (lti1p3platform puts the next page in the body; the shared
    response adapter moves it into the `Link` header NRPS 2.0 §2.4.1 asks for)."""
    nrps = IndependentNrps(platform, tokens)
    platform.app.add_url_rule("/nrps/<course_id>/memberships", "nrps", nrps.view)
    platform.launch_hooks.append(nrps.launch_hook)
    return nrps
