"""Email notifications: each person's choice for the course, staff's view of what was sent and
who cannot be mailed, and the one-click unsubscribe a mail links to (RFC 8058).

The unsubscribe address needs no login and no CSRF token — a mail client POSTs to it from its
own button — only a valid signature (services/notifications/preferences.py).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import csrf, db, rapport
from lti_tool.i18n import _, lazy_gettext
from lti_tool.models import Course, NotificationMode, Person
from lti_tool.services.access import CourseGrant
from lti_tool.services.notifications.preferences import (
    MODES,
    mode_of,
    parse_mode,
    people_without_email,
    read_unsubscribe_token,
    set_mode,
)
from lti_tool.services.notifications.sender import status_of
from lti_tool.services.notifications.settings import FEATURE
from lti_tool.views.course import course_grant_required, open_after_end

bp = Blueprint("notifications", __name__)
STATUS_DAYS = 7
INVALID_LINK = lazy_gettext(
    "This unsubscribe link is not valid. Open the course in your LMS, then Email in Rapport, "
    "to choose what you receive."
)


def mail_enabled() -> bool:
    return bool(rapport().settings.smtp_url)


@bp.route("/courses/<int:course_id>/notifications", methods=["GET", "POST"])
@course_grant_required
@open_after_end  # which mail a person gets stays theirs to choose after the course ends
def preferences(course_id: int) -> Response | tuple[str, int]:
    grant: CourseGrant = g.grant
    session = db()
    course = session.get_one(Course, course_id)
    error = None
    if request.method == "POST":
        mode = parse_mode(request.form.get("mode"))
        if mode is not None:
            set_mode(session, course_id, grant.person_id, mode, rapport().clock())
            session.commit()
            return redirect(url_for(".preferences", course_id=course_id, saved=1), code=303)
        error = _("Choose one of the options.")
    person = session.get(Person, grant.person_id)
    staff = None
    if grant.is_staff:
        since = rapport().clock() - timedelta(days=STATUS_DAYS)
        staff = {
            "status": status_of(session, course_id, since),
            "without_email": people_without_email(session, course_id),
        }
    page = render_template(
        "notifications/preferences.html",
        grant=grant,
        course=course,
        modes=MODES,
        mode=mode_of(session, course_id, grant.person_id),
        email=person.email if person else None,
        mail_enabled=mail_enabled(),
        saved=request.args.get("saved") == "1",
        error=error,
        staff=staff,
        status_days=STATUS_DAYS,
    )
    return page, 400 if error else 200


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> tuple[str, int]:
    """GET shows a button (a link scanner following it unsubscribes nobody); POST, from that
    button or a mail client's one-click, turns the course's email off."""
    state = rapport()
    found = read_unsubscribe_token(state.settings.secret_key, token)
    if found is None:
        abort(404, description=str(INVALID_LINK))
    person_id, course_id = found
    session = db()
    course = session.get(Course, course_id)
    if course is None:
        abort(404, description=_("This course is no longer in Rapport: it sends you no email."))
    done = request.method == "POST"
    if done:
        set_mode(session, course_id, person_id, NotificationMode.OFF, state.clock())
        session.commit()
    return render_template(
        "notifications/unsubscribe.html", course=course, token=token, done=done
    ), 200


def register(app: Flask) -> None:
    @app.context_processor
    def _mail() -> dict[str, object]:
        # For the course settings page: whether email can be sent at all.
        return {"notifications_feature": FEATURE, "mail_enabled": mail_enabled}
