"""The dashboard's students, read from their summaries: which ones a view shows (its filter,
in SQL), in which order (its sort, in SQL), and each one as a row of the page or the CSV.

A student is on the dashboard while their membership is an active student's (the summary
keeps whether it is). Where the course lets only a student's tutor and the instructors read
their conversations, other staff see that student's row without what those conversations hold
(`StudentRow.keep_private`), sorted last, and not among those outside the goal, never
contacted or waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from lti_tool.i18n import _
from lti_tool.models import (
    FeedbackThread,
    Person,
    StudentSummary,
    ThreadRead,
)
from lti_tool.models.person import NAME_PARTS, name_as
from lti_tool.services.checkins.sparkline import trend
from lti_tool.services.dashboard.contact import Contact
from lti_tool.services.entry import Ident
from lti_tool.services.feedback.viewers import Viewer

S = StudentSummary
SHOWS = ("all", "outside", "never", "flagged", "waiting")
SORTS = ("days", "name", "waiting")


@dataclass
class StudentRow:
    student_id: int
    name: str
    email: str | None
    tutor_id: int | None = None
    tutor_name: str | None = None
    contact: Contact | None = None
    contact_by: str | None = None
    days_since: int | None = None
    scores: list[int | None] = field(default_factory=list)
    latest_text: str = ""
    talk_requests: int = 0
    waiting_since: datetime | None = None
    unread: int = 0  # conversations where they wrote last and the viewer has not read it
    flagged: bool = False
    private: bool = False  # their conversations are not the viewer's to read
    sparkline: Markup = field(default_factory=Markup)  # their scores drawn

    def keep_private(self) -> None:
        """Forget what comes from conversations the viewer may not read: the last contact
        (a thread's title, when, by whom), the wait for a reply and what is unread."""
        self.private = True
        self.contact = self.contact_by = self.days_since = self.waiting_since = None
        self.unread = 0

    @property
    def trend(self) -> str:
        return trend(self.scores)

    @property
    def latest_score(self) -> int | None:
        return next((s for s in reversed(self.scores) if s is not None), None)


def students(course_id: int | BindParameter[Any], *columns: Any) -> Select[Any]:
    """The course's students on the dashboard (their membership is an active student's: the
    summary keeps whether it is active), as a statement to add to."""
    return select(*columns).select_from(S).where(S.course_id == course_id, S.active.is_(True))


def private(viewer: Viewer, me: Ident | None = None) -> ColumnElement[bool]:
    """Whether a student's conversations are closed to this viewer (`can_write_to_student`);
    `me` stands for the viewer's id in a statement built for every viewer of their kind."""
    if viewer.reads_every_thread:
        return false()
    if not viewer.grant.is_staff:
        return literal(True)
    return or_(S.tutor_id.is_(None), S.tutor_id != (viewer.grant.person_id if me is None else me))


def within(since: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Reached by a person since `since` (now less the course's contact goal)."""
    return S.contact_at >= since


def conditions(
    viewer: Viewer,
    show: str,
    tutor: Ident | None,
    words: Sequence[str | ColumnElement[str]],
    since: datetime | ColumnElement[datetime],
    me: Ident | None = None,
) -> list[ColumnElement[bool]]:
    """Which students a view shows: its filter, tutor and the LIKE patterns of the words
    searched for (`search_patterns`); `me` as in `private`."""
    hidden = private(viewer, me)
    found: list[ColumnElement[bool]] = []
    if show in ("outside", "never", "waiting"):
        found.append(~hidden)  # nothing known to this viewer either way
    if show == "outside":
        found.append(or_(S.contact_at.is_(None), ~within(since)))
    elif show == "never":
        found.append(S.contact_at.is_(None))
    elif show == "flagged":
        found.append(S.flagged.is_(True))
    elif show == "waiting":
        found.append(S.waiting_since.is_not(None))
    if tutor is not None:
        found.append(S.tutor_id == tutor)
    found.extend(S.name_key.like(word, escape="/") for word in words)
    return found


def search_patterns(search: str) -> list[str]:
    """Each word searched for as a LIKE pattern of names holding it, in any case (`/` escapes
    LIKE's own characters)."""
    return [
        "%" + word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        for word in search.casefold().split()
    ]


def _first(condition: ColumnElement[bool]) -> Any:
    return case((condition, 0), else_=1)


def order(viewer: Viewer, sort: str, me: Ident | None = None) -> list[Any]:
    hidden = private(viewer, me)
    if sort == "name":
        return [S.name_key, S.student_id]
    if sort == "waiting":
        waits = and_(~hidden, S.waiting_since.is_not(None))
        return [_first(waits), case((waits, S.waiting_since)), S.name_key, S.student_id]
    # Longest without contact first; never contacted before everyone; private ones last.
    return [_first(~hidden), _first(S.contact_at.is_(None)), S.contact_at, S.name_key, S.student_id]


def ordered(query: Select[Any], viewer: Viewer, sort: str, me: Ident | None = None) -> Select[Any]:
    return query.order_by(*order(viewer, sort, me))


def _unread(course_id: Ident, viewer_id: Ident, *columns: Any) -> Select[Any]:
    """Conversations where the student wrote last and this viewer has not read it since."""
    return (
        select(*columns)
        .select_from(FeedbackThread)
        .outerjoin(
            ThreadRead,
            (ThreadRead.thread_id == FeedbackThread.id) & (ThreadRead.person_id == viewer_id),
        )
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackThread.last_author_id == FeedbackThread.student_id,
            (ThreadRead.read_at.is_(None)) | (FeedbackThread.last_message_at > ThreadRead.read_at),
        )
    )


def unread_by(course_id: Ident, viewer_id: Ident) -> Any:
    """The same count for each summary's student, as a column: an index lookup per student,
    whatever the planner guesses of how many students have unread conversations."""
    return (
        _unread(course_id, viewer_id, func.count())
        .where(FeedbackThread.student_id == S.student_id)
        .correlate(S)
        .scalar_subquery()
    )


def staff_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Staff's names by id, read as columns (no Person objects), in a statement built once."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    return {p.id: name_as(p, "Staff") for p in session.execute(_STAFF, {"ids": wanted})}


_STAFF = select(Person.id, *(getattr(Person, part) for part in NAME_PARTS)).where(
    Person.id.in_(bindparam("ids", expanding=True))
)


def row_of(found: Any, names: dict[int, str], now: datetime, staff: str = "Staff") -> StudentRow:
    """One student's row from what `page_query` read of them; `staff` names a member of staff
    no longer known (in the reader's language)."""
    contact = None
    if found.contact_at is not None and found.contact_by_id is not None:
        contact = Contact(
            found.student_id,
            found.contact_by_id,
            found.contact_at,
            found.contact_kind or "",
            found.contact_about or "",
        )
    row = StudentRow(
        student_id=found.student_id,
        name=name_as(found, "Student"),
        email=found.email,
        tutor_id=found.tutor_id,
        tutor_name=names.get(found.tutor_id or 0),
        contact=contact,
        contact_by=names.get(contact.by_id, staff) if contact else None,
        days_since=max(0, (now - contact.at).days) if contact else None,
        scores=list(found.scores or []),
        latest_text=found.latest_text,
        talk_requests=found.talk_requests,
        waiting_since=found.waiting_since,
        unread=found.unread,
        flagged=found.flagged,
        sparkline=Markup(found.sparkline),  # noqa: S704 (drawn and escaped by sparkline())
    )
    if found.private:
        row.keep_private()
    return row


@dataclass(frozen=True)
class Found:
    """Students read by `page_query`, with their staff's names: one query for any number of
    lists of students."""

    names: dict[int, str]

    @classmethod
    def of(cls, session: Session, found: list[Any], more_staff: set[int | None]) -> Found:
        staff = more_staff | {r.tutor_id for r in found}
        return cls(staff_names(session, staff | {r.contact_by_id for r in found}))

    def rows(self, found: list[Any], now: datetime) -> list[StudentRow]:
        staff = _("Staff")
        return [row_of(r, self.names, now, staff) for r in found]


# What a row of the dashboard shows of a student, read as columns: a page and its "contact
# next" list are sixty students, and building an object of each (summary and person) took a
# fifth of the page's time.
_SHOWN = (
    S.student_id,
    S.tutor_id,
    S.contact_at,
    S.contact_by_id,
    S.contact_kind,
    S.contact_about,
    S.waiting_since,
    S.talk_requests,
    S.scores,
    S.latest_text,
    S.sparkline,
    S.flagged,
    *(getattr(Person, part) for part in NAME_PARTS),
)


def page_query(course_id: Ident, viewer: Viewer, me: Ident | None = None) -> Select[Any]:
    """What the rows show of students already chosen from those `students` lists (joined by
    the caller): no second look at their memberships. What the viewer (`me`, when the
    statement is built for every viewer of their kind) has not read from each is a column:
    an index lookup per student on the page."""
    viewer_id = viewer.grant.person_id if me is None else me
    return (
        select(
            *_SHOWN,
            private(viewer, me).label("private"),
            unread_by(course_id, viewer_id).label("unread"),
        )
        .select_from(S)
        .join(Person, Person.id == S.student_id)
        .where(S.course_id == course_id)
    )
