"""LTI Advantage services on the independent platform (PyPI's lti1p3platform, over HTTP).

- `add_token_endpoint(platform)`: an OAuth 2.0 client-credentials token endpoint (Security
  Framework §4.1). lti1p3platform's `get_access_token` checks the client assertion's signature
  against Rapport's JWKS, fetched over HTTP from /lti/jwks.json; this module adds what the
  library skips (aud is the token URL, iss = sub = client_id, a jti used once). Services call
  `validate_bearer(request, scope)` (or the endpoint's method of the same name); `expire_all()`
  makes every issued token stale, as an LMS may at any moment.
- `add_ags(platform, tokens)`: AGS 2.0 line items and scores (§3.2, §3.4) through
  lti1p3platform's `AssignmentsGradesService`, storing every accepted score in arrival order.
  As Moodle does, a score whose timestamp is not in a later whole second than the stored one is
  refused with 409, and a scoreGiven without scoreMaximum with "Incorrect score received".
- `FaultPlan`: forced answers (503, 429 with Retry-After), queued or drawn at a seeded rate;
  `LossyTransport`: timeouts on the tool's side, before the request leaves or after the
  platform answered (the answer is lost), without waiting for a real timeout.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import flask
import jwt
import requests
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService
from requests.adapters import HTTPAdapter

from tests.independent_platform import Course, IndependentPlatform, User, _Conf, _FlaskRequest

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
CLAIM_AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
EXTENSION = "independent_tokens"


# -- faults ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    status: int = 503
    retry_after: int | None = None
    reason: str | None = None  # the HTTP status line's words (Moodle puts its reasons there)
    body: str = '{"error": "temporarily_unavailable"}'

    def response(self) -> flask.Response:
        response = flask.Response(self.body, content_type="application/json")
        response.status = f"{self.status} {self.reason}" if self.reason else str(self.status)
        if self.retry_after is not None:
            response.headers["Retry-After"] = str(self.retry_after)
        return response


@dataclass
class FaultPlan:
    """Forced answers per endpoint: queued ones first, then drawn at `rate` from `mix`."""

    rate: float = 0.0
    mix: tuple[Fault, ...] = (Fault(503),)
    endpoints: frozenset[str] = frozenset({"scores"})
    seed: int = 7
    queued: dict[str, deque[Fault | None]] = field(default_factory=dict)
    served: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def push(self, endpoint: str, fault: Fault | None, times: int = 1) -> None:
        """Queue forced answers; None lets one request through untouched."""
        with self._lock:
            self.queued.setdefault(endpoint, deque()).extend([fault] * times)

    def take(self, endpoint: str) -> Fault | None:
        with self._lock:
            queue = self.queued.get(endpoint)
            if queue:
                fault = queue.popleft()
            elif endpoint in self.endpoints and self._rng.random() < self.rate:
                fault = self._rng.choice(self.mix)
            else:
                return None
            if fault is not None:
                self.served[f"{endpoint} {fault.status}"] += 1
            return fault


class LossyTransport(HTTPAdapter):
    """Timeouts for URLs containing `part`: the request is lost, or the answer is."""

    def __init__(self, part: str, rate: float, seed: int = 11) -> None:
        super().__init__()
        self.part, self.rate, self._rng = part, rate, random.Random(seed)
        self.lost: Counter[str] = Counter()
        self._lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            draw = self._rng.random() if self.part in (request.url or "") else 1.0
        if draw < self.rate / 2:
            self.lost["request"] += 1
            raise requests.ConnectTimeout(f"injected: request to {request.url} lost")
        response = super().send(request, *args, **kwargs)
        if draw < self.rate:
            self.lost[f"answer {response.status_code}"] += 1
            raise requests.ReadTimeout(f"injected: answer from {request.url} lost")
        return response


# -- the token endpoint (Security Framework §4.1) ---------------------------------------------
class TokenEndpoint:
    def __init__(self, platform: IndependentPlatform, faults: FaultPlan) -> None:
        self.platform, self.faults = platform, faults
        self.requests = 0
        self.issued: set[str] = set()
        self.jtis: set[str] = set()
        self.user_agents: list[str] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.platform.base_url + "/token"

    def expire_all(self) -> None:
        with self._lock:
            self.issued.clear()

    def handle(self) -> flask.Response:
        request = flask.request
        with self._lock:
            self.requests += 1
            self.user_agents.append(request.headers.get("User-Agent", ""))
        if (fault := self.faults.take("token")) is not None:
            return fault.response()
        form = request.form.to_dict()
        try:
            self._check_assertion(form.get("client_assertion", ""))
            conf = _Conf(platform=self.platform)
            conf.get_registration()
            answer = conf.get_access_token(form)  # verifies the signature over HTTP
        except Exception as exc:
            body = {"error": "invalid_client", "error_description": str(exc) or type(exc).__name__}
            return flask.Response(json.dumps(body), 400, content_type="application/json")
        with self._lock:
            self.issued.add(answer["access_token"])
        return flask.Response(json.dumps(answer), content_type="application/json")

    def _check_assertion(self, assertion: str) -> None:
        claims = jwt.decode(assertion, options={"verify_signature": False})
        client_id = self.platform.client_id
        if claims.get("aud") != self.url and self.url not in (claims.get("aud") or []):
            raise ValueError(f"aud must be {self.url}")
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            raise ValueError("iss and sub must be the client_id")
        with self._lock:
            if claims.get("jti") in self.jtis:
                raise ValueError("client assertion replayed (jti)")
            self.jtis.add(str(claims.get("jti")))

    def validate_bearer(self, request: flask.Request, scope: str | Iterable[str]) -> Any:
        """None when the bearer token is live and grants one of the scopes; else the refusal."""
        wanted = [scope] if isinstance(scope, str) else list(scope)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.issued:
            return flask.Response(
                '{"error": "invalid_token"}', 401, content_type="application/json"
            )
        conf = _Conf(platform=self.platform)
        conf.get_registration()
        if not conf.validate_token(token, wanted):
            return flask.Response('{"error": "insufficient_scope"}', 403)
        return None


def add_token_endpoint(
    platform: IndependentPlatform, faults: FaultPlan | None = None
) -> TokenEndpoint:
    """Serve POST /token on the platform's app; call before `platform.running()`."""
    tokens = TokenEndpoint(platform, faults or FaultPlan())
    platform.app.add_url_rule("/token", "token", tokens.handle, methods=["POST"])
    platform.app.extensions[EXTENSION] = tokens
    return tokens


def validate_bearer(request: flask.Request, scope: str | Iterable[str]) -> Any:
    """For the platform's service views: the refusal to return, or None when authorised."""
    tokens: TokenEndpoint = flask.current_app.extensions[EXTENSION]
    return tokens.validate_bearer(request, scope)


# -- Assignment and Grade Services 2.0 ---------------------------------------------------------
@dataclass(frozen=True)
class ReceivedScore:
    line_item: int
    user_id: str
    second: int  # the timestamp in whole seconds, as Moodle compares them
    body: dict[str, Any]

    @property
    def score_given(self) -> Any:
        return self.body.get("scoreGiven")


class _AgsService(AssignmentsGradesService):
    """lti1p3platform's AGS service over this module's store."""

    def __init__(self, ags: IndependentAgs, course_id: str) -> None:
        conf = _Conf(platform=ags.platform)
        conf.get_registration()
        super().__init__(_PagedRequest(flask.request), conf, ags.lineitems_url(course_id))
        self.store, self.course_id = ags, course_id

    def find_lineitems(self, page: Any = 1, limit: Any = None, **filters: Any) -> Any:
        items = [
            item
            for item in self.store.items_of(self.course_id)
            if all(item.get(_CAMEL[k]) == v for k, v in filters.items() if k in _CAMEL)
        ]
        if limit is None:
            return {"content": items, "has_next": False}
        start = (int(page) - 1) * int(limit)
        return {
            "content": items[start : start + int(limit)],
            "has_next": start + int(limit) < len(items),
        }

    def find_lineitem(self, line_item_id: str) -> Any:
        return self.store.item(line_item_id)

    def create_lineitem(self, creation_data: Any) -> Any:
        return self.store.create(self.course_id, dict(creation_data))

    def update_lineitem(self, update_data: Any) -> Any:
        raise NotImplementedError

    def delete_lineitem(self, line_item_id: str) -> None:
        raise NotImplementedError

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        return self.store.receive(int(line_item_id), score)

    def get_results(
        self, line_item_id: str, page: int = 1, limit: Any = None, user_id: Any = None
    ) -> Any:
        return {"content": self.store.results(int(line_item_id), user_id), "has_next": False}


_CAMEL = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId", "tag": "tag"}


class _PagedRequest(_FlaskRequest):
    """Query values typed as lti1p3platform's paging arithmetic expects them."""

    def build_metadata(self, request: flask.Request) -> Any:
        data = super().build_metadata(request)
        data["get_data"] = {
            k: int(v) if k in {"page", "limit"} else v for k, v in data["get_data"].items()
        }
        return data


class IndependentAgs:
    """Line items and scores; `score_only` plays Moodle's "grade sync only" (a launch names its
    link's line item and grants only the score scope)."""

    def __init__(
        self, platform: IndependentPlatform, tokens: TokenEndpoint, faults: FaultPlan
    ) -> None:
        self.platform, self.tokens, self.faults = platform, tokens, faults
        self.score_only = False
        # False plays an LMS that stores a score sent twice with the same timestamp twice
        # (seen: 21 POSTs for 20 grades after a worker was killed mid-send).
        self.refuses_repeats = True
        self.line_items: dict[int, dict[str, Any]] = {}
        self.accepted: list[ReceivedScore] = []
        self.conflicts: list[ReceivedScore] = []
        self.requests: list[tuple[str, str, str]] = []  # method, URL, User-Agent
        self.on_score: Callable[[ReceivedScore], None] | None = None
        self._last: dict[tuple[int, str], int] = {}
        self._lock = threading.RLock()

    def lineitems_url(self, course_id: str) -> str:
        return f"{self.platform.base_url}/ags/{course_id}/lineitems"

    def items_of(self, course_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {k: v for k, v in item.items() if k != "_course"}
                for item in self.line_items.values()
                if item["_course"] == course_id
            ]

    def item(self, number: str) -> Any:
        from lti1p3platform.exceptions import LineItemNotFoundException

        with self._lock:
            found = self.line_items.get(int(number))
        if found is None:
            raise LineItemNotFoundException
        return {k: v for k, v in found.items() if k != "_course"}

    def create(self, course_id: str, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            number = len(self.line_items) + 1
            url = f"{self.lineitems_url(course_id)}/{number}/lineitem"
            self.line_items[number] = {**data, "id": url, "_course": course_id}
            return self.item(str(number))

    def receive(self, number: int, body: dict[str, Any]) -> UpdateScoreStatus:
        from lti1p3platform.exceptions import LtiServiceException

        if body.get("scoreGiven") is not None and body.get("scoreMaximum") is None:
            raise LtiServiceException("Incorrect score received", 400)
        second = int(datetime.fromisoformat(body["timestamp"]).timestamp() // 1)
        score = ReceivedScore(number, str(body["userId"]), second, body)
        with self._lock:
            key = (number, score.user_id)
            if self.refuses_repeats and key in self._last and second <= self._last[key]:
                self.conflicts.append(score)
                return UpdateScoreStatus.OLD_TIMESTAMP
            self._last[key] = second
            self.accepted.append(score)
        if self.on_score is not None:
            self.on_score(score)
        return UpdateScoreStatus.SUCCESS

    def results(self, number: int, user_id: str | None) -> list[dict[str, Any]]:
        """The gradebook's latest result per person for a line item (AGS 2.0 §3.3)."""
        latest: dict[str, ReceivedScore] = {}
        with self._lock:
            for score in self.accepted:
                if score.line_item == number and user_id in (None, score.user_id):
                    latest[score.user_id] = score
        return [
            {
                "userId": s.user_id,
                "resultScore": s.body.get("scoreGiven"),
                "resultMaximum": s.body.get("scoreMaximum"),
                **({"comment": s.body["comment"]} if s.body.get("comment") else {}),
            }
            for s in latest.values()
        ]

    def launch_hook(self, launch: Any, user: User, course: Course, hint: dict[str, Any]) -> None:
        link = hint["link"]
        bound = [i for i in self.items_of(course.id) if i.get("resourceLinkId") == link]
        if self.score_only:
            if not bound:
                bound = [
                    self.create(
                        course.id, {"label": "Rapport", "scoreMaximum": 100, "resourceLinkId": link}
                    )
                ]
            launch.set_extra_claims(
                {CLAIM_AGS: {"scope": [AGS + "score"], "lineitem": bound[0]["id"]}}
            )
            return
        launch.set_ags(self.lineitems_url(course.id), bound[0]["id"] if bound else None)

    def view(self, endpoint: str, course_id: str, number: str | None = None) -> flask.Response:
        request = flask.request
        with self._lock:
            self.requests.append(
                (request.method, request.url, request.headers.get("User-Agent", ""))
            )
        if (fault := self.faults.take(endpoint)) is not None:
            return fault.response()
        service = _AgsService(self, course_id)
        if (refusal := self.tokens.validate_bearer(request, service.allowed_scopes)) is not None:
            return refusal
        handler = {
            "lineitems": service.handle_get_lineitems
            if request.method == "GET"
            else service.handle_create_lineitem,
            "lineitem": service.handle_get_lineitem,
            "scores": service.handle_update_score,
            "results": service.handle_get_results,
        }[endpoint]
        kwargs = {"line_item_id": number} if number is not None else {}
        return _flask_response(service.handle_resp(handler, **kwargs))


def _flask_response(resp: Any) -> flask.Response:
    """lti1p3platform's framework-free Response, as its Django adapter renders it."""
    if not 200 <= resp.code < 300:
        return flask.Response(
            json.dumps({"error": resp.message}), resp.code, content_type="application/json"
        )
    result = resp.result
    data = result["content"] if isinstance(result, dict) and "content" in result else result
    response = flask.Response(
        "" if data is None else json.dumps(data), resp.code, content_type=resp.media_type
    )
    if isinstance(result, dict) and result.get("next"):
        response.headers["Link"] = f"<{result['next']}>; rel=next"
    return response


def add_ags(
    platform: IndependentPlatform, tokens: TokenEndpoint, faults: FaultPlan | None = None
) -> IndependentAgs:
    """AGS routes on the platform's app and the AGS claim in its launches."""
    ags = IndependentAgs(platform, tokens, faults or tokens.faults)
    base = "/ags/<course_id>/lineitems"
    routes = [
        ("lineitems", base, ["GET", "POST"]),
        ("lineitem", base + "/<number>/lineitem", ["GET"]),
        ("scores", base + "/<number>/lineitem/scores", ["POST"]),
        ("results", base + "/<number>/lineitem/results", ["GET"]),
    ]
    for name, rule, methods in routes:
        view = _bind(ags, name)
        platform.app.add_url_rule(rule, "ags_" + name, view, methods=methods)
    platform.launch_hooks.append(ags.launch_hook)
    return ags


def _bind(ags: IndependentAgs, endpoint: str) -> Callable[..., flask.Response]:
    def view(course_id: str, number: str | None = None) -> flask.Response:
        return ags.view(endpoint, course_id, number)

    return view


# -- for grade tests ---------------------------------------------------------------------------
class FakeClock:
    """The worker's clock: `sleep` moves time on at once, so backoff costs no real time."""

    def __init__(self, start: datetime) -> None:
        self.moment = start
        self.slept = 0.0

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        from datetime import timedelta

        self.slept += seconds
        self.moment += timedelta(seconds=seconds)


@dataclass
class ServicesPlatform:
    """The independent platform with its token endpoint and AGS, and their fault plan."""

    platform: IndependentPlatform
    tokens: TokenEndpoint
    ags: IndependentAgs
    faults: FaultPlan


def services_platform(faults: FaultPlan | None = None) -> ServicesPlatform:
    """Build (not yet running): `with lms.platform.running(): …`."""
    platform = IndependentPlatform()
    plan = faults or FaultPlan()
    tokens = add_token_endpoint(platform, plan)
    return ServicesPlatform(platform, tokens, add_ags(platform, tokens, plan), plan)
