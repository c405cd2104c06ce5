"""The AGS 2.0 client against what Moodle 4.5 really answered (tests/fixtures/lms/moodle-4.5) and
what Canvas documents (tests/fixtures/lms/canvas), replayed over real HTTP.

The replaying server is written from the fixtures only: status line, headers and body as
captured, so `requests` sees Moodle's reason phrases and its JSON labelled text/html.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from cachelib import SimpleCache
from werkzeug.wrappers import Request, Response

from lti_tool.i18n import shown
from lti_tool.lti.ags import (
    LINEITEM,
    LINEITEM_CONTAINER,
    SCOPE_LINEITEM,
    SCOPE_SCORE,
    SCORE,
    AgsClient,
    AgsEndpoint,
    LineItem,
    is_permanent,
    service_url,
)
from lti_tool.lti.ags_scores import CANVAS_SUBMISSION, ScoreConflict, ScorePost, over_maximum_note
from lti_tool.lti.keys import KeyRing
from lti_tool.lti.platform_keys import USER_AGENT
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceClient, ServiceError, ServiceTokens
from tests.fixtures import FIXTURES
from tests.keys import seed_tool_keys
from tests.servers import serve

MOODLE = FIXTURES / "moodle-4.5"
CAPTURED_HOST = "http://127.0.0.1:8080"


def fixture(name: str, folder: Path = MOODLE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / name).read_text())
    return data


@dataclass
class MoodleReplay:
    """Answers each request with the next captured response queued for its path."""

    base_url: str = ""
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen: list[Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def queue(self, path: str, *names: str) -> None:
        self.answers.setdefault(path, []).extend(fixture(n) for n in names)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.bodies.append(request.get_data())
        self.seen.append(request)
        pending = self.answers.get(request.path) or []
        if not pending:
            return Response("no answer queued", 500)(environ, start_response)
        captured = pending.pop(0)
        body = captured["body"]
        text = body if isinstance(body, str) else json.dumps(body)
        text = text.replace(CAPTURED_HOST, self.base_url)
        headers = {
            k: v for k, v in captured["_headers"].items() if k.lower() in {"content-type", "link"}
        }
        status = f"{captured['_http_status']} {captured.get('_http_reason', '')}".strip()
        return Response(text, status=status, headers=headers)(environ, start_response)

    def url(self, path: str) -> str:
        return self.base_url + path


TOKEN_PATH = "/mod/lti/token.php"
LINEITEMS_PATH = "/mod/lti/services.php/2/lineitems"
ITEM_PATH = "/mod/lti/services.php/2/lineitems/2/lineitem"


@pytest.fixture
def moodle() -> Iterator[MoodleReplay]:
    replay = MoodleReplay()
    with serve(replay) as url:
        replay.base_url = url
        yield replay


def client_for(replay: MoodleReplay, tmp_path: Path, family: str | None = "moodle") -> AgsClient:
    seed_tool_keys(tmp_path / "keys")  # made once per run, as a first start would
    keyring = KeyRing(tmp_path / "keys")
    http = requests.Session()  # no User-Agent of its own: the client must add one
    tokens = ServiceTokens(SimpleCache(), http, keyring, timeout=5)
    platform = PlatformEndpoint(
        1, "https://moodle.example.edu", "3ZtYXLQekw1NAwc", replay.url(TOKEN_PATH)
    )
    return AgsClient(ServiceClient(tokens, timeout=5), platform, family)


def moodle_endpoint(
    replay: MoodleReplay, scopes: tuple[str, ...] = (SCOPE_LINEITEM, SCOPE_SCORE)
) -> AgsEndpoint:
    endpoint = AgsEndpoint.from_claim(
        {
            "scope": list(scopes),
            "lineitems": replay.url(LINEITEMS_PATH) + "?type_id=1",
            "lineitem": replay.url(ITEM_PATH) + "?type_id=1",
        }
    )
    assert endpoint is not None
    return endpoint


def a_score(**changes: Any) -> ScorePost:
    values: dict[str, Any] = {
        "user_id": "4",
        "timestamp": datetime(2026, 11, 29, 14, 54, 56, 762000, tzinfo=UTC),
        "score_given": 87.5,
        "score_maximum": 100,
        "comment": "fixture capture",
        **changes,
    }
    return ScorePost(**values)


# -- URLs, claims and bodies ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lineitem", "expected"),
    [
        (
            "http://m.example/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1",
            "http://m.example/mod/lti/services.php/2/lineitems/2/lineitem/scores?type_id=1",
        ),
        (
            "https://canvas.example.edu/api/lti/courses/1/line_items/2",
            "https://canvas.example.edu/api/lti/courses/1/line_items/2/scores",
        ),
        ("https://lms.example/items/2/", "https://lms.example/items/2/scores"),
        ("https://lms.example/items/2?a=1&b=2", "https://lms.example/items/2/scores?a=1&b=2"),
    ],
)
def test_scores_url_goes_into_the_path_before_the_query(lineitem, expected):
    assert service_url(lineitem, "scores") == expected


def test_the_endpoint_claim_says_what_rapport_may_do():
    sync_only = AgsEndpoint.from_claim({"scope": [SCOPE_SCORE], "lineitem": "https://m/li?x=1"})
    assert sync_only is not None
    assert sync_only.can_post_scores
    assert not sync_only.can_find_line_items and not sync_only.can_create_line_items
    full = AgsEndpoint.from_claim(
        {"scope": [SCOPE_LINEITEM, SCOPE_SCORE, "other"], "lineitems": "https://m/l"}
    )
    assert full is not None and full.can_create_line_items and full.can_find_line_items
    assert full.token_scopes == (SCOPE_LINEITEM, SCOPE_SCORE)
    assert AgsEndpoint.from_claim(None) is None
    broken = AgsEndpoint.from_claim({"scope": "not a list", "lineitems": 7})
    assert broken is not None and not broken.can_post_scores and broken.lineitems_url is None


def test_a_score_body_as_the_fixture_shows_it():
    captured = fixture("ags_score_post_request.json")["body"]
    assert a_score().as_json() == captured | {"timestamp": "2026-11-29T14:54:56.762+00:00"}
    assert "scoreMaximum" not in a_score(score_given=None).as_json()
    canvas = a_score(new_submission=False).as_json()
    assert canvas[CANVAS_SUBMISSION] == {"new_submission": False}


def test_permanent_refusals_are_the_4xx_answers_that_asking_again_cannot_change():
    statuses = (400, 401, 403, 404, 408, 409, 415, 422, 429, 500, 503, 0)
    assert [s for s in statuses if is_permanent(s)] == [400, 403, 404, 415, 422]


def test_over_maximum_gets_a_note_that_says_what_moodle_does():
    note = over_maximum_note(a_score(score_given=120), "moodle")
    assert shown(note) == "Sent 120 out of 100; Moodle records at most 100."
    assert over_maximum_note(a_score(score_given=100), "moodle") is None
    assert "above the maximum" in shown(over_maximum_note(a_score(score_given=120), "canvas"))


# -- Moodle over HTTP -------------------------------------------------------------------------
def test_moodle_token_json_labelled_text_html_then_line_items_with_the_query_kept(moodle, tmp_path):
    moodle.queue(TOKEN_PATH, "token_response.json")
    moodle.queue(LINEITEMS_PATH, "ags_lineitems_get.json")
    ags = client_for(moodle, tmp_path)
    items = ags.find_line_items(moodle_endpoint(moodle), resource_link_id="1")
    assert [i.url for i in items] == [
        moodle.url("/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1"),
        moodle.url("/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1"),
    ]
    assert items[0].resource_link_id == "1" and items[1].resource_id == "fixture-resource-1"
    token_request, listing = moodle.seen
    assert token_request.form["grant_type"] == "client_credentials"
    assert set(token_request.form["scope"].split()) == {SCOPE_LINEITEM, SCOPE_SCORE}
    assert listing.args.to_dict() == {"type_id": "1", "resource_link_id": "1"}
    assert listing.headers["Accept"] == LINEITEM_CONTAINER
    assert listing.headers["Authorization"] == "Bearer REDACTED-ACCESS-TOKEN"
    assert all(r.headers.get("User-Agent") == USER_AGENT for r in moodle.seen)


def test_creating_a_line_item_on_moodle(moodle, tmp_path):
    moodle.queue(TOKEN_PATH, "token_response.json")
    moodle.queue(LINEITEMS_PATH, "ags_lineitem_post_response.json")
    wanted = LineItem(
        "", "Fixture capture line item", 50, resource_id="fixture-resource-1", tag="fixture-tag"
    )
    created = client_for(moodle, tmp_path).create_line_item(moodle_endpoint(moodle), wanted)
    assert created.url == moodle.url("/mod/lti/services.php/2/lineitems/6/lineitem?type_id=1")
    post = moodle.seen[-1]
    assert post.args.to_dict() == {"type_id": "1"}
    assert post.headers["Content-Type"] == LINEITEM and post.headers["Accept"] == LINEITEM
    assert json.loads(moodle.bodies[-1]) == fixture("ags_lineitem_post_request.json")["body"]


def test_a_score_posts_to_scores_before_the_query(moodle, tmp_path):
    moodle.queue(TOKEN_PATH, "token_response.json")
    moodle.queue(
        ITEM_PATH + "/scores", "ags_score_post_response.json", "ags_score_over_max_response.json"
    )
    ags = client_for(moodle, tmp_path)
    endpoint = moodle_endpoint(moodle, (SCOPE_SCORE,))
    ags.post_score(endpoint, str(endpoint.lineitem_url), a_score(new_submission=True))
    ags.post_score(endpoint, str(endpoint.lineitem_url), a_score(score_given=120))  # accepted
    first, _ = moodle.seen[1:]
    assert first.path == ITEM_PATH + "/scores" and first.args.to_dict() == {"type_id": "1"}
    assert first.headers["Content-Type"] == SCORE
    assert CANVAS_SUBMISSION not in json.loads(moodle.bodies[1])  # Moodle is not Canvas
    assert json.loads(moodle.bodies[2])["scoreGiven"] == 120
    assert len([r for r in moodle.seen if r.path == TOKEN_PATH]) == 1  # one token, reused


def test_a_refused_score_keeps_the_reason_moodle_put_in_the_status_line(moodle, tmp_path):
    moodle.queue(TOKEN_PATH, "token_response.json")
    moodle.queue(ITEM_PATH + "/scores", "ags_score_invalid_response.json")
    ags = client_for(moodle, tmp_path)
    endpoint = moodle_endpoint(moodle, (SCOPE_SCORE,))
    with pytest.raises(ServiceError) as refused:
        ags.post_score(endpoint, str(endpoint.lineitem_url), a_score())
    assert refused.value.status == 400 and is_permanent(refused.value.status)
    message = str(refused.value)
    assert "Incorrect score received" in message  # only in the HTTP status line, body is []
    assert "scoreMaximum" in message  # and what it means
    # Kept for the grades page, which shows it in each reader's language; the log reads English.
    kept = json.loads(refused.value.kept)
    assert kept["values"]["words"].startswith("400 Incorrect score received")
    assert shown(refused.value.kept) == message


def test_a_score_with_a_timestamp_not_later_than_the_stored_one_is_a_conflict(moodle, tmp_path):
    moodle.queue(TOKEN_PATH, "token_response.json")
    moodle.queue(ITEM_PATH + "/scores", "ags_score_conflict_response.json")
    ags = client_for(moodle, tmp_path)
    endpoint = moodle_endpoint(moodle, (SCOPE_SCORE,))
    with pytest.raises(ScoreConflict) as conflict:
        ags.post_score(endpoint, str(endpoint.lineitem_url), a_score())
    assert conflict.value.status == 409
    assert "Refusing score with an earlier timestamp" in str(conflict.value)


@pytest.mark.parametrize(
    ("captured", "shown", "logged_only"),
    [
        ("token_error_response.json", "400 Bad Request", "Signature verification failed"),
        (
            "token_error_unknown_kid_response.json",
            "400 Bad Request",
            '"kid" invalid, unable to lookup correct key',
        ),
        ("token_error_invalid_client_response.json", "invalid_client", None),
    ],
)
def test_moodle_token_errors_show_the_status_and_code_never_its_text(
    moodle, tmp_path, caplog, captured, shown, logged_only
):
    """What the platform wrote goes to the log; a person sees the status line and the OAuth
    error code, never a remote body."""
    moodle.queue(TOKEN_PATH, captured)
    ags = client_for(moodle, tmp_path)
    endpoint = moodle_endpoint(moodle, (SCOPE_SCORE,))
    with caplog.at_level("INFO"), pytest.raises(ServiceError) as refused:
        ags.post_score(endpoint, str(endpoint.lineitem_url), a_score())
    assert refused.value.status == 400
    assert shown in str(refused.value)
    if logged_only:
        assert logged_only not in str(refused.value)
        assert logged_only in caplog.text
    assert [r.path for r in moodle.seen] == [TOKEN_PATH]  # no score went out without a token


# -- Canvas -----------------------------------------------------------------------------------
def test_canvas_gets_its_submission_extension_and_a_user_agent(moodle, tmp_path):
    canvas_path = "/api/lti/courses/1/line_items/2"
    moodle.queue(TOKEN_PATH, "token_response.json")
    moodle.answers[canvas_path + "/scores"] = [
        fixture("ags_score_post_response.json", FIXTURES / "canvas")
    ]
    moodle.answers[canvas_path + "/scores"][0]["_headers"] = {"Content-Type": "application/json"}
    ags = client_for(moodle, tmp_path, family="canvas")
    endpoint = AgsEndpoint.from_claim({"scope": [SCOPE_SCORE], "lineitem": moodle.url(canvas_path)})
    assert endpoint is not None
    ags.post_score(endpoint, moodle.url(canvas_path), a_score(new_submission=False))
    sent = json.loads(moodle.bodies[-1])
    assert sent[CANVAS_SUBMISSION] == {"new_submission": False}
    documented = fixture("ags_score_post_request.json", FIXTURES / "canvas")["body"]
    assert set(sent) <= set(documented)  # only keys Canvas documents
    assert all(r.headers.get("User-Agent") == USER_AGENT for r in moodle.seen)
