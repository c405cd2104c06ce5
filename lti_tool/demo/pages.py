"""The demo LMS's own pages: the course, and a launch of Rapport inside it.

`/demo` lists the course, its content and its people; "Launch as …" opens the LMS page for that
person, whose iframe starts the OIDC third-party login (LTI 1.3 Core §5.1.1) by posting the
login initiation form to the tool, as Moodle does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool.demo.blueprint import bp
from lti_tool.demo.messages import LOCALE, TARGETS, LaunchRequest
from lti_tool.demo.people import RAPPORT_LINK, DemoPerson
from lti_tool.demo.platform import DemoPlatform, demo

# The heights (px) the frame takes when Rapport asks (lti.frameResize): never so short that the
# page inside cannot show, never so tall that a runaway page makes the LMS page endless.
FRAME_BOUNDS = (240, 16_000)


def _person(platform: DemoPlatform, person_id: str) -> DemoPerson:
    person = platform.course.person(person_id)
    if person is None:
        abort(404, description=f"Nobody called {person_id!r} is in the demo course.")
    return person


def _launch_request(platform: DemoPlatform, person: DemoPerson) -> LaunchRequest:
    target = request.args.get("target", "iframe")
    if target not in TARGETS:
        abort(400, description="target must be iframe or window.")
    locale = request.args.get("locale", "en-GB")
    if not LOCALE.fullmatch(locale):
        abort(400, description="locale must be a language tag such as es-ES.")
    if request.args.get("deep_linking") == "1":
        if not person.is_staff:
            abort(
                403,
                description=f"{person.label} is a student; only the teaching team can "
                "add content to the course.",
            )
        return LaunchRequest(None, deep_linking=True, target=target, locale=locale)
    link_id = request.args.get("link", RAPPORT_LINK.link_id)
    if platform.link(link_id) is None:
        abort(404, description=f"The demo course has no link {link_id!r}.")
    return LaunchRequest(link_id, target=target, locale=locale)


def _query(launch: LaunchRequest, target: str) -> dict[str, str]:
    if launch.deep_linking:
        return {"deep_linking": "1", "target": target, "locale": launch.locale}
    return {"link": launch.link_id or "", "target": target, "locale": launch.locale}


@bp.get("")
@bp.get("/")
def index() -> str:
    platform = demo()
    notice = request.args.get("lti_msg") or None
    problem = request.args.get("lti_errormsg") or None
    copied_from = request.args.get("copied_from") or None
    course = platform.course
    placed = {p.link_id: p for p in platform.placed_links()}
    columns: dict[str, int] = {}  # gradebook columns bound to each link
    for item in platform.store.line_items(course.context_id):
        link_id = item.fields.resource_link_id or ""
        columns[link_id] = columns.get(link_id, 0) + 1
    return render_template(
        "demo/index.html",
        platform=platform,
        course=course,
        links=platform.links(),
        placed=placed,
        columns=columns,
        notice=notice,
        problem=problem,
        copied_from=copied_from,
        rapport_link=RAPPORT_LINK,
    )


@bp.get("/launch/<person_id>")
def launch(person_id: str) -> str:
    platform = demo()
    person = _person(platform, person_id)
    launch = _launch_request(platform, person)
    link = None if launch.deep_linking else platform.link(launch.link_id or "")
    return render_template(
        "demo/launch.html",
        platform=platform,
        course=platform.course,
        person=person,
        link=link,
        launch=launch,
        frame_query=_query(launch, "iframe"),
        window_query=_query(launch, "window"),
        tool_origin=_origin(platform.tool_login_url),
        frame_bounds=FRAME_BOUNDS,
    )


def _origin(url: str) -> str:
    """Where the frame's messages come from: scheme, host and port, as a browser names them."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.get("/launch/<person_id>/start")
def start(person_id: str) -> str:
    """The iframe's first document: the login initiation form, posted to the tool at once."""
    platform = demo()
    person = _person(platform, person_id)
    launch = _launch_request(platform, person)
    placed = None if launch.deep_linking else platform.placed_link(launch.link_id or "")
    fields = {
        "iss": platform.issuer,
        "login_hint": person.person_id,
        "target_link_uri": (placed.url if placed and placed.url else platform.tool_launch_url),
        "lti_message_hint": launch.hint(),
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
        # The LMS page around the frame keeps what the tool asks it to (LTI platform storage):
        # a browser that keeps no cookie in the frame still proves the login it began.
        "lti_storage_target": "_parent",
    }
    return render_template(
        "demo/start.html", action=platform.tool_login_url, fields=fields, person=person
    )


@bp.get("/launch")
def launch_chosen() -> WerkzeugResponse:
    """The course content's "Launch as" form: a person chosen from a list, then their page."""
    person = _person(demo(), request.args.get("person", ""))
    link = request.args.get("link", RAPPORT_LINK.link_id)
    locale = request.args.get("locale", "en-GB")
    if not LOCALE.fullmatch(locale):
        abort(400, description="locale must be a language tag such as es-ES.")
    return redirect(url_for("demo.launch", person_id=person.person_id, link=link, locale=locale))


@bp.post("/copy-course")
def copy_course() -> WerkzeugResponse:
    """Copy the course for a new term, as an LMS does; the demo runs the copy from now on."""
    platform = demo()
    source = platform.course
    platform.copy_course()
    return redirect(url_for("demo.index", copied_from=source.title), code=303)
