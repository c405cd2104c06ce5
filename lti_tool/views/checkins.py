"""Check-ins' pages: students see the open ones; staff create them, nudge those who have not
answered, see the charts and export them. On this blueprint too: answering them and a student's
history of their answers, `views/checkin_answers.py`; triage, where staff answer or handle each
answer, `views/triage.py`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from lti_tool.dates import format_date
from lti_tool.extensions import db, rapport
from lti_tool.i18n import _, lazy_gettext
from lti_tool.jobs import enqueue_after_commit
from lti_tool.models import BulkStart, Course
from lti_tool.services.checkins import placed as placed_checkins
from lti_tool.services.checkins import replies as checkin_replies
from lti_tool.services.checkins import service as checkins
from lti_tool.services.checkins import settings as defaults
from lti_tool.services.checkins import stats as checkin_stats
from lti_tool.services.checkins.charts import (
    Chart,
    OccurrenceStats,
    distribution_chart,
    response_rate_chart,
)
from lti_tool.services.checkins.schedule import in_words, parse_schedule
from lti_tool.services.checkins.service import CheckInForm
from lti_tool.services.checkins.settings import QUESTION_PRESETS, holiday_dates
from lti_tool.services.course_settings import COURSE_TIME_ZONE
from lti_tool.services.feedback import waiting
from lti_tool.services.placements import PlaceableKind, register_kind
from lti_tool.services.refusals import Refused
from lti_tool.services.snippets import service as snippets
from lti_tool.tasks import BULK_START
from lti_tool.views.course import committed, course_grant_required
from lti_tool.views.outcomes import said
from lti_tool.views.params import id_from, ids_from
from lti_tool.views.times import course_zone

bp = Blueprint("checkins", __name__)

register_kind(
    PlaceableKind(
        kind="checkin",
        title=lazy_gettext("Check-in"),
        description=lazy_gettext(
            "Short, regular questions each student answers in under a minute; your "
            "team sees who needs a word first."
        ),
        gradable=False,
        view_endpoint="checkins.placed",
        opens_placement=True,
        targets=placed_checkins.CheckInTargets(),
    )
)


def _now() -> datetime:
    return rapport().clock()


def _course() -> Course:
    return db().get_one(Course, g.grant.course_id)


@bp.get("/courses/<int:course_id>/checkins/")
@course_grant_required
def index(course_id: int) -> str:
    grant = g.grant
    if grant.is_student:
        open_now = checkins.open_for_student(db(), grant, _now())
        answerer = None
        if request.args.get("talk"):
            answerer = waiting.who_answers(db(), course_id, grant.person_id)
        return render_template(
            "checkins/student.html",
            course=_course(),
            open_now=open_now,
            grant=grant,
            answerer=answerer,
        )
    listed = checkin_stats.course_checkins(db(), grant)
    return render_template(
        "checkins/index.html",
        course=_course(),
        checkins=listed,
        grant=grant,
        now=_now(),
        schedule_in_words=in_words,
    )


@bp.get("/courses/<int:course_id>/checkins/placed/<int:placement_id>")
@course_grant_required
def placed(course_id: int, placement_id: int) -> Response:
    """Where a link placed in the LMS lands: its check-in (`services/checkins/placed.py`)."""
    endpoint, values = placed_checkins.landing(db(), g.grant, placement_id, _now())
    return redirect(url_for(endpoint, **values), code=303)


@bp.route(
    "/courses/<int:course_id>/checkins/placed/<int:placement_id>/choose", methods=["GET", "POST"]
)
@course_grant_required
def choose_placed(course_id: int, placement_id: int) -> Response | tuple[str, int]:
    """A link the LMS copied from an earlier course whose check-in did not come over: staff
    choose which of this course's check-ins it opens."""
    session = db()
    placement = placed_checkins.to_choose(session, g.grant, placement_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = id_from(request.form, "checkin") or 0
        _done, errors = committed(
            lambda: placed_checkins.choose(session, g.grant, placement_id, chosen)
        )
        if not errors:
            endpoint, values = placed_checkins.landing(session, g.grant, placement_id, _now())
            return redirect(said(url_for(endpoint, **values), "link-chosen"), code=303)
    page = render_template(
        "checkins/choose_placed.html",
        course=_course(),
        placement=placement,
        offered=placed_checkins.CheckInTargets().offered(session, course_id),
        errors=errors,
        grant=g.grant,
    )
    return page, 400 if errors else 200


def _defaults(zone: str) -> dict[str, str]:
    """A new check-in's form, filled from the course's check-in settings (a preset question in
    the words of the staff member who reads it)."""
    settings = g.course_settings
    question, low, high = QUESTION_PRESETS.get(
        str(settings[defaults.QUESTIONS]), QUESTION_PRESETS["confidence"]
    )
    values = {
        "time_zone": zone,
        "scale_prompt": str(question),
        "low_label": str(low),
        "high_label": str(high),
        "repeat": str(settings[defaults.REPEAT]),
        "count": str(settings[defaults.COUNT]),
        "open_hours": str(settings[defaults.OPEN_HOURS]),
        "talk": "on",
        "scale_style": "scale",
        "points": str(settings[defaults.POINTS]),
    }
    if settings[defaults.ANONYMOUS]:
        values["anonymous"] = "on"
    if settings[defaults.GRADED]:
        values["graded"] = "on"
    return values


def _checkin_form() -> CheckInForm:
    form = request.form
    return CheckInForm(
        title=form.get("title", ""),
        scale_prompt=form.get("scale_prompt", ""),
        scale_style=form.get("scale_style", "scale"),
        low_label=form.get("low_label", ""),
        high_label=form.get("high_label", ""),
        text_prompt=form.get("text_prompt", ""),
        talk=form.get("talk") == "on",
        anonymous=form.get("anonymous") == "on",
        graded=form.get("graded") == "on",
        points=form.get("points", ""),
    )


@bp.route("/courses/<int:course_id>/checkins/new", methods=["GET", "POST"])
@course_grant_required
def new(course_id: int) -> Any:
    if not checkins.can_manage_checkins(g.grant):
        abort(403, description=_("Only the course's staff manage check-ins."))
    zone = str(g.course_settings[COURSE_TIME_ZONE])
    errors: dict[str, str] = {}
    values = _defaults(zone)
    if request.method == "POST":
        values = dict(request.form.items())
        form = _checkin_form()
        errors = checkins.form_errors(form)
        try:
            schedule = parse_schedule(
                values.get("first", ""),
                values.get("repeat", ""),
                values.get("count", ""),
                values.get("open_hours", ""),
                values.get("time_zone", ""),
                holiday_dates(str(g.course_settings[defaults.HOLIDAYS])),
            )
        except Refused as refused:
            errors = {**errors, **refused.errors}
        if not errors:
            made = checkins.create_checkin(db(), g.grant, form, schedule, _now())
            db().commit()
            target = url_for("checkins.overview", course_id=course_id, checkin_id=made.id)
            return redirect(said(target, "checkin-created"), code=303)
    holidays = holiday_dates(str(g.course_settings[defaults.HOLIDAYS]))
    page = render_template(
        "checkins/new.html",
        course=_course(),
        values=values,
        errors=errors,
        grant=g.grant,
        holidays=holidays,
    )
    return page, 400 if errors else 200


@bp.get("/courses/<int:course_id>/checkins/<int:checkin_id>")
@course_grant_required
def overview(course_id: int, checkin_id: int) -> str:
    stats = checkin_stats.checkin_stats(db(), g.grant, checkin_id)
    skipped = stats.checkin.schedule.get("skipped_weeks") or []
    return render_template(
        "checkins/overview.html",
        course=_course(),
        stats=stats,
        charts=_charts(stats),
        grant=g.grant,
        now=_now(),
        schedule_words=in_words(stats.checkin.schedule, with_zone=True),
        skipped_weeks=[date.fromisoformat(week) for week in skipped],
    )


def _charts(stats: checkin_stats.CheckInStats) -> list[Chart]:
    """The answers over the weeks and the response rate, for the occurrences opened so far."""
    zone = course_zone()
    opened = [
        OccurrenceStats(
            label=f"#{row.occurrence.number} {format_date(row.occurrence.opens_at, zone)}",
            counts=row.counts,
            responses=row.responses,
            students=stats.students,
        )
        for row in stats.opened(_now())
    ]
    charts = []
    scale = next((q for q in stats.checkin.questions if q["kind"] in checkins.SCALE_KINDS), None)
    if scale is not None:
        title = _("Answers to “%(question)s”", question=scale["prompt"])
        charts.append(distribution_chart(opened, title, scale["low"], scale["high"]))
    charts.append(response_rate_chart(opened, _("Share of students who answered")))
    return charts


@bp.get("/courses/<int:course_id>/checkins/<int:checkin_id>/answers.csv")
@course_grant_required
def export(course_id: int, checkin_id: int) -> Response:
    """Streamed (checkins.stats.csv_stream): memory stays bounded by one week's answers."""
    checkin, rows = checkin_stats.export_rows(db(), g.grant, checkin_id)
    chunks = checkin_stats.csv_stream(rapport().sessions, checkin, rows)
    name = f"check-in-{checkin.id}-answers.csv"
    return Response(
        chunks,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route(
    "/courses/<int:course_id>/checkins/occurrences/<int:occurrence_id>/missing",
    methods=["GET", "POST"],
)
@course_grant_required
def missing(course_id: int, occurrence_id: int) -> Any:
    sent = None
    errors: dict[str, str] = {}
    body = request.form.get(
        "body",
        # Its merge fields in braces stay as they are in every language: filled in per student.
        _(
            "Hello {first_name}, we missed your answer to "
            "{activity_title} this week. How are you getting on?"
        ),
    )
    if request.method == "POST":
        chosen = ids_from(request.form, "student")

        def nudge() -> BulkStart:
            bulk = checkin_replies.nudge(
                db(), g.grant, occurrence_id, body, chosen, g.course_settings, _now()
            )
            enqueue_after_commit(db(), BULK_START, bulk.id)  # written by a worker, in chunks
            return bulk

        sent, errors = committed(nudge)
    found = checkin_replies.non_respondents(db(), g.grant, occurrence_id, g.course_settings)
    chosen_snippet = id_from(request.args, "snippet")
    if request.method == "GET" and chosen_snippet:
        body = snippets.snippet_in_course(db(), g.grant, chosen_snippet).body
    page = render_template(
        "checkins/missing.html",
        snippets=snippets.list_snippets(db(), g.grant),
        course=_course(),
        missing=found,
        body=body,
        errors=errors,
        sent=sent,
        grant=g.grant,
    )
    return page, 400 if errors else 200
