"""The sections of a person's export (`export`): for each, the query of their rows, each row
with the course it belongs to (`course_id`) and its other columns labelled as the document
names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased

from lti_tool.models import (
    AuditEntry,
    BulkStart,
    CheckIn,
    CheckInResponse,
    FeedbackMessage,
    FeedbackThread,
    GradableActivity,
    GradeDelivery,
    Membership,
    Notification,
    NotificationPreference,
    Occurrence,
    Person,
    Placement,
    Post,
    PostView,
    Reaction,
    Reply,
    Snippet,
    StaffAnswer,
    StaffProfile,
    StudentFlag,
    StudentSummary,
    ThreadRead,
    TutorAllocation,
)

# A query of any columns (SQLAlchemy types a Select by each of them).
Rows = Select[*tuple[Any, ...]]
Section = Callable[[int], Rows]
S = StudentSummary


def columns_of(model: Any, names: str) -> list[Any]:
    """The model's columns, named as they are."""
    return [getattr(model, name) for name in names.split()]


def _membership(pid: int) -> Rows:
    m = Membership
    named = columns_of(m, "course_id role launch_role roster_role lti_roles active section")
    named += columns_of(m, "roster_status roster_seen_at last_launch_at")
    return select(*named, m.created_at.label("joined_at")).where(m.person_id == pid)


def _staff_profile(pid: int) -> Rows:
    p = StaffProfile
    return select(p.course_id, p.pronouns, p.role_title, p.bio, p.contact, p.updated_at).where(
        p.person_id == pid
    )


def _posts(pid: int) -> Rows:
    named = columns_of(
        Post, "course_id kind title body draft publish_at pinned created_at edited_at"
    )
    return (
        select(*named, Post.deleted_at)
        .where(Post.author_id == pid)
        .order_by(Post.created_at, Post.id)
    )


def _replies(pid: int) -> Rows:
    return (
        select(
            Post.course_id,
            Post.title.label("under_post"),
            Reply.body,
            Reply.created_at,
            Reply.hidden_at,
        )
        .join(Post, Post.id == Reply.post_id)
        .where(Reply.author_id == pid)
        .order_by(Reply.created_at, Reply.id)
    )


def _reactions(pid: int) -> Rows:
    return (
        select(Post.course_id, Post.title.label("post"), Reaction.reaction, Reaction.created_at)
        .join(Post, Post.id == Reaction.post_id)
        .where(Reaction.person_id == pid)
    )


def _posts_seen(pid: int) -> Rows:
    return (
        select(Post.course_id, Post.kind, Post.title.label("post"), PostView.seen_at)
        .join(Post, Post.id == PostView.post_id)
        .where(PostView.person_id == pid)
        .order_by(PostView.seen_at)
    )


def _messages(pid: int) -> Rows:
    """Every message of their own conversations, and theirs in others' (a member of staff)."""
    author = aliased(Person)
    return (
        select(
            FeedbackThread.course_id,
            FeedbackThread.title.label("conversation"),
            (FeedbackMessage.author_id == pid).label("written_by_them"),
            author.name.label("written_by"),
            FeedbackMessage.body,
            FeedbackMessage.created_at,
            FeedbackMessage.edited_at,
            FeedbackMessage.score_given.label("grade"),
            FeedbackMessage.score_maximum.label("grade_out_of"),
        )
        .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
        .join(author, author.id == FeedbackMessage.author_id)
        .where(or_(FeedbackThread.student_id == pid, FeedbackMessage.author_id == pid))
        .order_by(FeedbackThread.id, FeedbackMessage.created_at, FeedbackMessage.id)
    )


def _conversations_read(pid: int) -> Rows:
    return (
        select(
            FeedbackThread.course_id, FeedbackThread.title.label("conversation"), ThreadRead.read_at
        )
        .join(FeedbackThread, FeedbackThread.id == ThreadRead.thread_id)
        .where(ThreadRead.person_id == pid)
    )


def _checkin_answers(pid: int) -> Rows:
    r = CheckInResponse
    answered = columns_of(r, "answers score wants_talk submitted_at updated_at status handled_at")
    return (
        select(
            CheckIn.course_id,
            CheckIn.title.label("check_in"),
            Occurrence.number.label("week"),
            Occurrence.opens_at,
            *answered,
        )
        .join(Occurrence, Occurrence.id == r.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(r.student_id == pid)
        .order_by(Occurrence.opens_at, r.id)
    )


def _answered_by_staff(pid: int) -> Rows:
    a = StaffAnswer
    return select(a.course_id, a.asked_at, a.answered_at, a.waited_seconds).where(
        a.student_id == pid
    )


def _grades(pid: int) -> Rows:
    d = GradeDelivery
    sent = columns_of(d, "score_given score_maximum comment status scored_at sent_at")
    return (
        select(GradableActivity.course_id, GradableActivity.label.label("activity"), *sent)
        .join(GradableActivity, GradableActivity.id == d.activity_id)
        .where(d.person_id == pid)
        .order_by(d.id)
    )


def _tutoring(mine: Any, theirs: Any, label: str) -> Section:
    def query(pid: int) -> Rows:
        other = aliased(Person)
        t = TutorAllocation
        return (
            select(t.course_id, other.name.label(label), t.assigned_at, t.ended_at)
            .join(other, other.id == theirs)
            .where(mine == pid)
            .order_by(t.assigned_at, t.id)
        )

    return query


def _flags_on_them(pid: int) -> Rows:
    f = StudentFlag
    return select(f.course_id, f.note, f.flagged_at).where(f.student_id == pid)


def _flags_they_set(pid: int) -> Rows:
    f = StudentFlag
    return (
        select(f.course_id, Person.name.label("student"), f.note, f.flagged_at)
        .join(Person, Person.id == f.student_id)
        .where(f.flagged_by_id == pid)
    )


def _notification_settings(pid: int) -> Rows:
    n = NotificationPreference
    return select(n.course_id, n.mode, n.updated_at).where(n.person_id == pid)


def _notifications(pid: int) -> Rows:
    n = Notification
    return (
        select(n.course_id, n.kind, n.status, n.created_at, n.due_at, n.sent_at, n.last_error)
        .where(n.recipient_id == pid)
        .order_by(n.created_at, n.id)
    )


def _summary(pid: int) -> Rows:
    named = "course_id active contact_at contact_kind contact_about waiting_since talk_requests"
    named += " scores trend latest_score latest_text flagged"
    return select(*columns_of(S, named)).where(S.student_id == pid)


def _made(model: Any, *columns: Any) -> Section:
    def query(pid: int) -> Rows:
        return select(model.course_id, *columns).where(model.created_by_id == pid)

    return query


def _bulk_starts(pid: int) -> Rows:
    b = BulkStart
    return select(b.course_id, b.title, b.body, b.total, b.created_at).where(b.started_by_id == pid)


SECTIONS: dict[str, Section] = {
    "membership": _membership,
    "staff_profile": _staff_profile,
    "posts": _posts,
    "replies": _replies,
    "reactions": _reactions,
    "posts_seen": _posts_seen,
    "messages": _messages,
    "conversations_read": _conversations_read,
    "check_in_answers": _checkin_answers,
    "answers_from_staff": _answered_by_staff,
    "grades": _grades,
    "tutors": _tutoring(TutorAllocation.student_id, TutorAllocation.tutor_id, "tutor"),
    "tutees": _tutoring(TutorAllocation.tutor_id, TutorAllocation.student_id, "student"),
    "flags_on_them": _flags_on_them,
    "flags_they_set": _flags_they_set,
    "notification_settings": _notification_settings,
    "notifications": _notifications,
    "dashboard_summary": _summary,
    "snippets_written": _made(Snippet, Snippet.title, Snippet.body, Snippet.created_at),
    "bulk_starts": _bulk_starts,
    "check_ins_made": _made(CheckIn, CheckIn.title, CheckIn.questions, CheckIn.created_at),
    "placements_made": _made(Placement, Placement.title, Placement.kind, Placement.created_at),
}


def entries_of(course_id: int) -> Select[AuditEntry]:
    return (
        select(AuditEntry)
        .where(AuditEntry.course_id == course_id)
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
