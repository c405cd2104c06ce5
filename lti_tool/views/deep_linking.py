"""The deep-linking picker: staff choose what to place, Rapport answers the platform.

Deep Linking 2.0 §4.4 (request) and §4.5 (response, https://www.imsglobal.org/spec/lti-dl/v2p0).
A validated `LtiDeepLinkingRequest` launch hands over here. Its settings stay on the server,
under a random id bound to the launching person's grant for that course, for one hour; the
picker form only says what the teacher chose. The answer is a page that posts the signed
response JWT to the platform's `deep_link_return_url` by itself.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.routing import BuildError

from lti_tool.extensions import cache, db, rapport
from lti_tool.i18n import _
from lti_tool.lti.deep_linking import (
    DeepLinkingResponse,
    DeepLinkingSettings,
    ResponseMessages,
)
from lti_tool.lti.launch import LaunchResult
from lti_tool.models import Course
from lti_tool.services.access import CourseGrant
from lti_tool.services.launches import LaunchRecord
from lti_tool.services.placement_launches import placement_view
from lti_tool.services.placements import (
    PlaceableKind,
    PlacementChoice,
    can_place_content,
    check_choices,
    check_targets,
    content_item,
    create_placements,
    placeable_kinds,
)
from lti_tool.views.course import committed, course_grant_required

bp = Blueprint("deep_linking", __name__)
log = logging.getLogger(__name__)
REQUEST_TTL_SECONDS = 3600
_PICKER = "/courses/<int:course_id>/deep-linking/<request_id>"


@dataclass(frozen=True)
class PendingRequest:
    """A deep-linking request waiting for the teacher's choice (kept in the shared cache)."""

    course_id: int
    person_id: int
    client_id: str
    platform_issuer: str
    deployment_id: str
    settings_claim: dict[str, Any]

    @property
    def settings(self) -> DeepLinkingSettings:
        return DeepLinkingSettings.from_claim(self.settings_claim)

    def response(self) -> DeepLinkingResponse:
        return DeepLinkingResponse(
            self.client_id, self.platform_issuer, self.deployment_id, self.settings
        )


def _cache_key(request_id: str) -> str:
    return "deep-linking:" + request_id


def start_deep_linking(result: LaunchResult, grant: CourseGrant) -> Response:
    """The launch's answer to a deep-linking request: the picker for staff, 403 for others."""
    if not can_place_content(grant):
        page = render_template("deep_linking/refused.html")
        return make_response(page, 403)
    request_id = secrets.token_urlsafe(32)
    pending = PendingRequest(
        course_id=grant.course_id,
        person_id=grant.person_id,
        client_id=result.claims.client_id,
        platform_issuer=result.claims.issuer,
        deployment_id=result.claims.deployment_id,
        settings_claim=dict(result.claims.deep_linking_settings or {}),
    )
    cache.set(_cache_key(request_id), asdict(pending), timeout=REQUEST_TTL_SECONDS)
    target = url_for("deep_linking.picker", course_id=grant.course_id, request_id=request_id)
    return redirect(target, code=303)  # type: ignore[return-value]


def placed_activity_url(record: LaunchRecord) -> str:
    """Where a resource-link launch lands: its placement's view, else the course home."""
    view = placement_view(db(), record.placement_id) if record.placement_id else None
    if view is not None:
        endpoint, values = view
        try:
            return url_for(endpoint, **values)
        except BuildError:  # a kind whose feature is not mounted here: still land somewhere
            log.warning("placement %s: no route for %s", record.placement_id, endpoint)
    return url_for("course.home", course_id=record.course_id)


def _pending(course_id: int, request_id: str) -> PendingRequest:
    """The request behind this URL, for the person whose grant opened it; 404 otherwise."""
    grant: CourseGrant = g.grant
    if not can_place_content(grant):
        abort(403, description=_("Only staff of this course can add Rapport's activities to it."))
    stored = cache.get(_cache_key(request_id)) if len(request_id) < 100 else None
    if not isinstance(stored, dict):
        abort(
            404,
            description=_(
                "This request to add content has expired or was already answered. Start again "
                "from your LMS."
            ),
        )
    pending = PendingRequest(**stored)
    if (pending.course_id, pending.person_id) != (course_id, grant.person_id):
        abort(404, description=_("This request to add content belongs to someone else."))
    return pending


@dataclass(frozen=True)
class KindField:
    """One kind in the picker, with what the form said about it."""

    kind: PlaceableKind
    selected: bool
    title: str
    graded: bool
    points: str
    error: str | None = None
    targets: tuple[tuple[int, str], ...] = ()  # which one of the course's it may open
    target: str = ""


def _fields(
    course_id: int,
    settings: DeepLinkingSettings,
    form: dict[str, Any] | None,
    errors: dict[str, str],
) -> list[KindField]:
    kinds = placeable_kinds()
    chosen = set(form.get("kind", [])) if form else ({kinds[0].kind} if len(kinds) == 1 else set())
    suggested = settings.title if not settings.accept_multiple else None
    fields = []
    for kind in kinds:
        values = form or {}
        fields.append(
            KindField(
                kind=kind,
                selected=kind.kind in chosen,
                title=_first(values, f"title-{kind.kind}") or suggested or kind.title,
                graded=_first(values, f"graded-{kind.kind}") == "yes",
                points=_first(values, f"points-{kind.kind}") or f"{kind.default_points:g}",
                error=errors.get(kind.kind),
                targets=tuple(kind.targets.offered(db(), course_id)) if kind.targets else (),
                target=_first(values, f"target-{kind.kind}"),
            )
        )
    return fields


def _first(values: dict[str, Any], name: str) -> str:
    found = values.get(name) or [""]
    return str(found[0]).strip()


def _render_picker(
    pending: PendingRequest,
    request_id: str,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    settings = pending.settings
    course = db().get(Course, pending.course_id)
    page = render_template(
        "deep_linking/picker.html",
        course=course,
        settings=settings,
        fields=_fields(pending.course_id, settings, form, errors or {}),
        errors=errors or {},
        request_id=request_id,
        platform_host=_host(settings.return_url),
    )
    return make_response(page, status)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


@bp.get(_PICKER)
@course_grant_required
def picker(course_id: int, request_id: str) -> Response:
    return _render_picker(_pending(course_id, request_id), request_id)


def _points(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _target(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


def _choices(form: dict[str, list[str]]) -> list[PlacementChoice]:
    """What the picker form says was chosen, one choice per kind ticked, unchecked."""
    choices = []
    for name in form.get("kind", []):
        graded = _first(form, f"graded-{name}") == "yes"
        choices.append(
            PlacementChoice(
                kind=name,
                title=_first(form, f"title-{name}"),
                graded=graded,
                points=_points(_first(form, f"points-{name}")) if graded else None,
                target=_target(_first(form, f"target-{name}")),
            )
        )
    return choices


@bp.post(_PICKER)
@course_grant_required
def place(course_id: int, request_id: str) -> Response:
    pending = _pending(course_id, request_id)
    settings = pending.settings
    if not settings.accepts_resource_links:
        abort(
            400, description=_("Your LMS did not ask for LTI links here, so nothing can be added.")
        )
    form = request.form.to_dict(flat=False)
    choices, errors = committed(  # nothing is written yet: the picker is only checked
        lambda: check_targets(
            db(),
            course_id,
            check_choices(_choices(form), settings.accepts_line_items, settings.accept_multiple),
        )
    )
    if choices is None:
        return _render_picker(pending, request_id, form, errors, status=422)
    _claim(request_id)
    session = db()
    placements = create_placements(
        session, course_id, pending.person_id, choices, rapport().clock()
    )
    launch_url = rapport().settings.public_url + "/lti/launch"
    items = [content_item(p, launch_url) for p in placements]
    titles = ", ".join(f"“{p.title}”" for p in placements)
    # `msg` is for the person the LMS shows it to; `log` is for the platform's log, in English.
    messages = ResponseMessages(
        msg=_("Rapport added %(titles)s.", titles=titles), log=f"Rapport placed {titles}."
    )
    token = pending.response().signed(rapport().keyring.current(), items, messages)
    session.commit()
    return _return_page(settings, token, [p.title for p in placements])


def _claim(request_id: str) -> None:
    """Use the request up; a second submission of the same picker (double click) finds it gone."""
    if not cache.delete(_cache_key(request_id)):
        abort(409, description=_("This request to add content was already answered."))


@bp.post(_PICKER + "/cancel")
@course_grant_required
def cancel(course_id: int, request_id: str) -> Response:
    """Answer the platform with no content, so the LMS closes its dialog (§4.5 allows none)."""
    pending = _pending(course_id, request_id)
    refused = not pending.settings.accepts_resource_links
    messages = ResponseMessages(
        msg=_("Nothing was added from Rapport."),
        errormsg=_("Rapport can only add LTI links, which this LMS page did not ask for.")
        if refused
        else None,
    )
    _claim(request_id)
    token = pending.response().signed(rapport().keyring.current(), [], messages)
    return _return_page(pending.settings, token, [])


def _return_page(settings: DeepLinkingSettings, token: str, titles: list[str]) -> Response:
    page = render_template(
        "deep_linking/return.html",
        return_url=settings.return_url,
        jwt=token,
        titles=titles,
        auto_create=settings.auto_create,
    )
    response = make_response(page, 200)
    response.headers["Cache-Control"] = "no-store"  # the page carries a signed token
    return response
