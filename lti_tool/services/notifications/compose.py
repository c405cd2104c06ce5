"""The mail for one person and one course: a plain-text body with a simple HTML alternative.

Each mail says who wrote and in which course (the subject names the course), and links to the
course in the LMS — never to a Rapport page that would skip the LMS launch. Whether it quotes
the words is the course's choice (settings.QUOTE, off by default). Everything a person wrote
goes into the HTML through Jinja's escaping.

Mail is written in a job, outside any request, so each mail speaks its recipient's language:
the locale their last launch named (`Person.locale`), else the install's DEFAULT_LOCALE; its
subject, words and dates alike (`i18n.speaking`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import cache

from flask import current_app, has_app_context
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.config import PROJECT_ROOT
from lti_tool.dates import format_date, format_time, zone_named
from lti_tool.i18n import _, lazy_gettext, ngettext, speaking, supported
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    FeedbackMessage,
    FeedbackThread,
    Notification,
    Occurrence,
    Person,
    Registration,
    Reply,
    ResponseStatus,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import COURSE_TIME_ZONE, course_settings
from lti_tool.services.feedback.viewers import students_they_write_to, viewer_for
from lti_tool.services.notifications import outbox
from lti_tool.services.notifications.settings import QUOTE

When = Callable[[datetime], str]  # a moment as the course reads it (views/times.py)
DIGEST_ITEMS = 10
QUOTE_LIMIT = 2000

DEFAULT_LOCALE = "en-GB"  # outside the app (config.Settings.default_locale's default)

# What each kind says, with %(actor)s and %(course)s, in the recipient's language.
WROTE_TO_YOU = lazy_gettext("%(actor)s wrote to you in %(course)s")
HEADLINES = {
    outbox.MESSAGE: WROTE_TO_YOU,
    outbox.CHECKIN_REPLY: lazy_gettext("%(actor)s answered your check-in in %(course)s"),
    outbox.NUDGE: lazy_gettext("%(actor)s sent you a reminder in %(course)s"),
    outbox.INTRO_REPLY: lazy_gettext("%(actor)s replied to your introduction in %(course)s"),
    outbox.CHECKIN_OPEN: lazy_gettext("A check-in is open in %(course)s"),
    outbox.STUDENT_MESSAGE: WROTE_TO_YOU,
}


def one_line(text: str) -> str:
    """Text for a mail header: names and titles come from the LMS, and may hold line breaks."""
    return " ".join(text.split())


def default_locale() -> str:
    """The install's DEFAULT_LOCALE (the app's settings), for a recipient whose launches named
    none."""
    if has_app_context():
        return str(current_app.extensions["rapport"].settings.default_locale)
    return DEFAULT_LOCALE


@cache
def templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates" / "email"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # As the app's pages: Flask-Babel's gettext (the locale `speaking` names), newstyle, and
    # {% trans %} blocks read as one line, as `make translations` extracts them.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_, ngettext=ngettext, newstyle=True
    )
    environment.policies["ext.i18n.trimmed"] = True
    return environment


@dataclass(frozen=True)
class Item:
    headline: str
    about: str | None  # the thread's or check-in's title
    when: str
    quote: str | None = None
    note: str | None = None  # what to do about it, when the headline does not say


@dataclass(frozen=True)
class Digest:
    talk: list[str] = field(default_factory=list)  # students who asked to talk
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # name, about, since
    unanswered: int = 0

    @property
    def empty(self) -> bool:
        return not (self.talk or self.waiting or self.unanswered)


@dataclass(frozen=True)
class Mail:
    to_name: str
    to_address: str
    subject: str
    course: str
    lms_url: str
    items: list[Item]
    digest: Digest | None
    unsubscribe_url: str
    locale: str = DEFAULT_LOCALE  # the recipient's language, which the body is written in

    def message(self, sender: str, domain: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = formataddr((self.to_name, self.to_address))
        message["Subject"] = self.subject
        message["Date"] = format_datetime(datetime.now().astimezone())
        message["Message-ID"] = make_msgid("rapport", domain=domain or None)
        message["Auto-Submitted"] = "auto-generated"
        # RFC 2369 and RFC 8058: a mail client's own "Unsubscribe" button, in one click.
        message["List-Unsubscribe"] = f"<{self.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        with speaking(self.locale):
            text = templates().get_template("notification.txt").render(mail=self)
            html = templates().get_template("notification.html").render(mail=self)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        # Headers are folded when the mail is written out: at 78 columns the unsubscribe link
        # has no space to fold at, and the email package writes it as RFC 2047 encoded-words,
        # which a mail client does not read as a `<URL>` (RFC 2369), so offers no button. The
        # body is encoded above, at 78; its headers now fold at RFC 5322's hard limit only.
        message.policy = message.policy.clone(max_line_length=998)
        return message


def compose(
    session: Session,
    rows: Sequence[Notification],
    recipient: Person,
    unsubscribe_url: str,
    fallback_locale: str | None = None,
) -> Mail | None:
    """The mail telling `recipient` of `rows` (all for one course), or None when there is
    nothing to tell (a digest of a quiet day): in the recipient's language (their stored
    locale, else `fallback_locale`, else the install's default)."""
    default = fallback_locale or default_locale()
    locale = supported(recipient.locale) or supported(default) or "en"
    with speaking(recipient.locale, default=default):
        return _compose(session, rows, recipient, unsubscribe_url, locale)


def _compose(
    session: Session,
    rows: Sequence[Notification],
    recipient: Person,
    unsubscribe_url: str,
    locale: str,
) -> Mail | None:
    course = session.get_one(Course, rows[0].course_id)
    settings = course_settings(session, course.id)
    zone = zone_named(settings[COURSE_TIME_ZONE])
    quote = settings.flag(QUOTE)
    title = course.display_title
    items = [
        _item(session, row, title, quote, lambda t: format_time(t, zone))
        for row in rows
        if row.kind not in {outbox.DIGEST, outbox.RETENTION}
    ]
    warned = [row for row in rows if row.kind == outbox.RETENTION]
    if warned and course.deletion_due_at is not None:
        # One warning however many rows, naming the day the course is to be deleted now.
        day = format_date(course.deletion_due_at, zone)
        items.insert(0, _deletion(title, day, format_time(warned[-1].created_at, zone)))
    digest = None
    if any(row.kind == outbox.DIGEST for row in rows):
        staff = CourseGrant(course.id, recipient.id, CourseRole.STAFF)
        # A teaching assistant who reads only their tutees' threads hears only of those.
        scope = students_they_write_to(session, viewer_for(session, staff, settings))
        digest = _digest(session, course.id, lambda t: format_time(t, zone), scope)
        if digest.empty:
            digest = None
    if not items and digest is None:
        return None
    if digest is not None and not items:
        subject = _("Your day in %(course)s", course=title)
    elif len(items) == 1 and digest is None:
        subject = items[0].headline
    else:
        count = len(items) + (digest is not None)
        subject = ngettext(
            "%(num)d update in %(course)s", "%(num)d updates in %(course)s", count, course=title
        )
    issuer = session.scalar(
        select(Registration.issuer).where(Registration.id == course.registration_id)
    )
    return Mail(
        to_name=one_line(recipient.display_name),
        to_address=recipient.email or "",
        subject=one_line(subject),
        course=title,
        lms_url=course.lms_url or issuer or "",
        items=items,
        digest=digest,
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


def _deletion(title: str, day: str, when: str) -> Item:
    """The warning of retention (services/archive/retention.py): when, and how to keep a copy."""
    note = _(
        "Your institution has Rapport delete each course some time after it ends. To keep a "
        "copy of everything in %(course)s, open it in your LMS, then Settings in Rapport, and "
        "download the whole course before then.",
        course=title,
    )
    headline = _("%(course)s will be deleted from Rapport on %(day)s", course=title, day=day)
    return Item(headline, None, when, note=note)


def _name(session: Session, person_id: int | None, role_word: str) -> str:
    person = session.get(Person, person_id) if person_id else None
    return person.name_as(role_word) if person else _("Someone")


def _item(session: Session, row: Notification, course: str, quote: bool, when: When) -> Item:
    student_side = row.kind == outbox.STUDENT_MESSAGE
    actor = _name(session, row.actor_id, "Student" if student_side else "Staff")
    headline = str(HEADLINES.get(row.kind, WROTE_TO_YOU)) % {"actor": actor, "course": course}
    about = words = None
    if row.kind == outbox.INTRO_REPLY:
        reply = session.get(Reply, row.subject_id) if row.subject_id else None
        words = reply.body if reply and reply.hidden_at is None else None
    elif row.kind == outbox.CHECKIN_OPEN:
        found = session.execute(
            select(CheckIn.title, Occurrence.closes_at)
            .join(Occurrence, Occurrence.checkin_id == CheckIn.id)
            .where(Occurrence.id == row.subject_id)
        ).first()
        if found:
            about = _("%(title)s (open until %(moment)s)", title=found[0], moment=when(found[1]))
    elif row.subject_id is not None:
        thread = session.get(FeedbackThread, row.subject_id)
        about = thread.title if thread else None
        words = session.scalar(
            select(FeedbackMessage.body)
            .where(
                FeedbackMessage.thread_id == row.subject_id,
                FeedbackMessage.author_id == row.actor_id,
                FeedbackMessage.created_at <= row.created_at,
            )
            .order_by(FeedbackMessage.created_at.desc(), FeedbackMessage.id.desc())
            .limit(1)
        )
    shown = words[:QUOTE_LIMIT] if quote and words else None
    return Item(headline, about, when(row.created_at), shown)


def _digest(session: Session, course_id: int, when: When, scope: set[int] | None) -> Digest:
    """Asked to talk, waiting for a reply (longest first), and check-in answers nobody has
    dealt with yet: what staff should look at today."""
    new = (
        select(CheckInResponse, Person)
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .join(Person, Person.id == CheckInResponse.student_id)
        .where(
            CheckIn.course_id == course_id,
            CheckIn.anonymous.is_(False),
            CheckInResponse.status == ResponseStatus.NEW,
        )
    )
    threads = select(FeedbackThread, Person).join(Person, Person.id == FeedbackThread.student_id)
    if scope is not None:
        new = new.where(CheckInResponse.student_id.in_(scope))
        threads = threads.where(FeedbackThread.student_id.in_(scope))
    talk = [
        person.name_as("Student")
        for _, person in session.execute(
            new.where(CheckInResponse.wants_talk.is_(True))
            .order_by(CheckInResponse.submitted_at)
            .limit(DIGEST_ITEMS)
        ).all()
    ]
    unanswered = session.scalar(select(func.count()).select_from(new.subquery())) or 0
    waiting = [
        (person.name_as("Student"), thread.title, when(thread.last_message_at))
        for thread, person in session.execute(
            threads.where(
                FeedbackThread.course_id == course_id,
                FeedbackThread.last_author_id == FeedbackThread.student_id,
            )
            .order_by(FeedbackThread.last_message_at)
            .limit(DIGEST_ITEMS)
        ).all()
    ]
    return Digest(talk, waiting, int(unanswered))
