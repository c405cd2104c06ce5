"""A course and one of each kind of write the student summary is made from, in the order a
term might bring them: for tests/services/dashboard/test_summary.py and the migration's test.
Each event goes through the service that does it in the product where there is one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    Post,
    PostKind,
    Registration,
    Reply,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import replies as checkin_replies
from lti_tool.services.checkins.service import CheckInForm, answer, questions_from
from lti_tool.services.dashboard.flags import set_flag
from lti_tool.services.feedback import service as feedback
from lti_tool.services.feedback import viewers
from lti_tool.services.feedback.settings import ALL_STAFF, VISIBILITY
from lti_tool.services.newsfeed import replies as newsfeed_replies
from lti_tool.services.newsfeed import service as newsfeed
from lti_tool.services.snippets.bulk_run import run_bulk
from lti_tool.services.snippets.bulk_start import start_bulk
from lti_tool.services.tutors.service import allocate
from lti_tool.services.upsert import upsert

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SETTINGS = {VISIBILITY: ALL_STAFF}


@dataclass
class World:
    sessions: Any
    course: int
    registration: int
    ids: dict[str, int]
    checkin: int = 0
    occurrence: int = 0
    thread: int = 0
    post: int = 0
    reply: int = 0
    clock: datetime = NOW

    def grant(self, name: str) -> CourseGrant:
        role = CourseRole.STAFF if name in ("Tess", "Theo") else CourseRole.STUDENT
        return CourseGrant(self.course, self.ids[name], role)

    def viewer(self, session: Session, name: str) -> viewers.Viewer:
        return viewers.viewer_for(session, self.grant(name), SETTINGS)

    def tick(self, hours: float = 5) -> datetime:
        self.clock += timedelta(hours=hours)
        return self.clock


def make_world(sessions: Any) -> World:
    with transaction(sessions) as session:
        lms = Registration(
            issuer="https://lms.example.edu",
            client_id="c",
            auth_login_url="https://lms.example.edu/a",
            auth_token_url="https://lms.example.edu/t",
        )
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="c1", title="Memory")
        session.add(course)
        session.flush()
        ids = {}
        for name, role in (
            ("Tess", CourseRole.STAFF),
            ("Theo", CourseRole.STAFF),
            ("Ada", CourseRole.STUDENT),
            ("Ben", CourseRole.STUDENT),
            ("Émile", CourseRole.STUDENT),
        ):
            person = Person(registration_id=lms.id, sub=name.lower(), name=name)
            session.add(person)
            session.flush()
            session.add(Membership(course_id=course.id, person_id=person.id, role=role))
            ids[name] = person.id
        errors: dict[str, str] = {}
        form = CheckInForm("Weekly", "How is it going?", "Lost", "Fine", "Why?")
        checkin = CheckIn(
            course_id=course.id, title="Weekly", questions=questions_from(form, errors), schedule={}
        )
        session.add(checkin)
        session.flush()
        for n in range(3):
            opens = NOW - timedelta(days=7 * (2 - n))
            session.add(
                Occurrence(
                    checkin_id=checkin.id,
                    number=n + 1,
                    opens_at=opens,
                    closes_at=opens + timedelta(days=30),
                )
            )
        session.flush()
        occurrence = session.scalars(
            select(Occurrence.id).where(Occurrence.checkin_id == checkin.id)
        ).all()
        return World(sessions, course.id, lms.id, ids, checkin.id, occurrence[-1])


# -- events -----------------------------------------------------------------------------------
def staff_start_a_thread(s: Session, w: World) -> None:
    thread = feedback.start_thread(s, w.viewer(s, "Tess"), w.ids["Ada"], "Essay", "Hi", w.tick())
    w.thread = thread.id


def the_student_answers(s: Session, w: World) -> None:
    feedback.post_message(s, w.viewer(s, "Ada"), w.thread, "Thanks! A question…", w.tick())


def another_member_of_staff_answers(s: Session, w: World) -> None:
    feedback.post_message(s, w.viewer(s, "Theo"), w.thread, "Here you go.", w.tick())


def a_bulk_start(s: Session, w: World) -> None:
    bulk = start_bulk(
        s, w.grant("Tess"), [w.ids["Ben"], w.ids["Émile"]], "Week 2", "Hello {first_name}",
        None, w.tick(),
    )  # fmt: skip
    s.commit()
    run_bulk(w.sessions, bulk.id, lambda: w.clock)


def a_student_answers_the_bulk_message(s: Session, w: World) -> None:
    thread = s.scalar(select(FeedbackThread.id).where(FeedbackThread.student_id == w.ids["Ben"]))
    assert thread is not None
    feedback.post_message(s, w.viewer(s, "Ben"), thread, "Thanks!", w.tick())


def check_in_answers(s: Session, w: World) -> None:
    for name, score, talk in (("Ada", "4", "yes"), ("Ben", "2", ""), ("Émile", "5", "")):
        form = {"scale": score, "text": f"{name} says", "talk": talk}
        answer(s, w.grant(name), w.occurrence, form, w.tick(0.1))


def a_check_in_answered_again(s: Session, w: World) -> None:
    form = {"scale": "1", "text": "Worse now", "talk": "yes"}
    answer(s, w.grant("Ben"), w.occurrence, form, w.tick(0.1))


def _response(s: Session, w: World, name: str) -> int:
    found = s.scalar(
        select(CheckInResponse.id).where(
            CheckInResponse.student_id == w.ids[name],
            CheckInResponse.occurrence_id == w.occurrence,
        )
    )
    assert found is not None
    return found


def a_request_to_talk_handled(s: Session, w: World) -> None:
    checkin_replies.handle_response(s, w.grant("Tess"), _response(s, w, "Ada"), w.tick())


def a_check_in_reply(s: Session, w: World) -> None:
    checkin_replies.answer_response(
        s, w.grant("Theo"), _response(s, w, "Ben"), "Let's talk", SETTINGS, w.tick()
    )


def an_introduction_and_a_staff_reply(s: Session, w: World) -> None:
    post = Post(
        course_id=w.course,
        author_id=w.ids["Émile"],
        kind=PostKind.STUDENT_INTRODUCTION,
        body="Hello",
        body_html="<p>Hello</p>",
        created_at=w.tick(),
    )
    s.add(post)
    s.flush()
    w.post = post.id
    reply = Reply(post_id=post.id, author_id=w.ids["Theo"], body="Hi", body_html="Hi")
    reply.created_at = w.tick()
    s.add(reply)
    s.flush()
    w.reply = reply.id


def the_reply_hidden(s: Session, w: World) -> None:
    newsfeed_replies.set_reply_hidden(s, w.grant("Tess"), w.reply, True, w.tick())


def the_reply_shown_again(s: Session, w: World) -> None:
    newsfeed_replies.set_reply_hidden(s, w.grant("Tess"), w.reply, False, w.tick())


def the_introduction_deleted(s: Session, w: World) -> None:
    newsfeed.delete_post(s, w.grant("Tess"), w.post, w.tick())


def the_introduction_restored(s: Session, w: World) -> None:
    newsfeed.restore_post(s, w.grant("Tess"), w.post, w.tick())


def tutors_allocated(s: Session, w: World) -> None:
    allocate(s, w.grant("Tess"), w.ids["Ada"], w.ids["Theo"], w.tick())
    allocate(s, w.grant("Tess"), w.ids["Ben"], w.ids["Tess"], w.tick())


def a_tutor_changed_and_one_removed(s: Session, w: World) -> None:
    allocate(s, w.grant("Tess"), w.ids["Ada"], w.ids["Tess"], w.tick())
    allocate(s, w.grant("Tess"), w.ids["Ben"], None, w.tick())


def flagged_and_unflagged(s: Session, w: World) -> None:
    set_flag(s, w.grant("Tess"), w.ids["Ada"], True, w.tick())
    set_flag(s, w.grant("Tess"), w.ids["Ben"], True, w.tick())
    s.flush()
    set_flag(s, w.grant("Tess"), w.ids["Ben"], False, w.tick())


def a_message_edited_and_one_deleted(s: Session, w: World) -> None:
    first, *_, last = s.scalars(
        select(FeedbackMessage).where(FeedbackMessage.thread_id == w.thread)
    ).all()
    first.body = "Hello again"
    s.delete(last)


def a_member_of_staff_launches_as_a_student(s: Session, w: World) -> None:
    """Theo's launch says Learner now (the LMS changed his role): what he wrote stops counting
    as contact from the course team."""
    keys = {"course_id": w.course, "person_id": w.ids["Theo"]}
    upsert(s, Membership, keys, {"role": CourseRole.STUDENT, "launch_role": CourseRole.STUDENT})


def and_as_staff_again(s: Session, w: World) -> None:
    keys = {"course_id": w.course, "person_id": w.ids["Theo"]}
    upsert(s, Membership, keys, {"role": CourseRole.STAFF, "launch_role": CourseRole.STAFF})


def a_student_renamed_by_their_launch(s: Session, w: World) -> None:
    keys = {"registration_id": w.registration, "sub": "ada"}
    upsert(s, Person, keys, {"name": "Zoë Ada Ames", "updated_at": w.tick()})


def a_student_renamed_in_the_session(s: Session, w: World) -> None:
    person = s.get_one(Person, w.ids["Ben"])
    person.name = "Ben Ångström"


def a_student_deactivated_and_a_new_one(s: Session, w: World) -> None:
    s.execute(
        update(Membership)
        .where(Membership.course_id == w.course, Membership.person_id == w.ids["Émile"])
        .values(active=False)
    )
    newcomer = Person(registration_id=w.registration, sub="cy", name="Cy")
    s.add(newcomer)
    s.flush()
    upsert(s, Membership, {"course_id": w.course, "person_id": newcomer.id},
           {"role": CourseRole.STUDENT, "active": True})  # fmt: skip


def a_thread_deleted(s: Session, w: World) -> None:
    s.execute(delete(FeedbackThread).where(FeedbackThread.id == w.thread))


def the_check_in_made_anonymous(s: Session, w: World) -> None:
    s.get_one(CheckIn, w.checkin).anonymous = True


def an_occurrence_deleted(s: Session, w: World) -> None:
    s.execute(delete(Occurrence).where(Occurrence.id == w.occurrence))


def the_check_in_deleted(s: Session, w: World) -> None:
    s.delete(s.get_one(CheckIn, w.checkin))


def a_member_of_staff_erased(s: Session, w: World) -> None:
    s.execute(delete(Person).where(Person.id == w.ids["Tess"]))


EVENTS: list[Callable[[Session, World], None]] = [
    staff_start_a_thread,
    the_student_answers,
    another_member_of_staff_answers,
    a_bulk_start,
    a_student_answers_the_bulk_message,
    check_in_answers,
    a_check_in_answered_again,
    a_request_to_talk_handled,
    a_check_in_reply,
    an_introduction_and_a_staff_reply,
    the_reply_hidden,
    the_reply_shown_again,
    the_introduction_deleted,
    the_introduction_restored,
    tutors_allocated,
    a_tutor_changed_and_one_removed,
    flagged_and_unflagged,
    a_message_edited_and_one_deleted,
    a_member_of_staff_launches_as_a_student,
    and_as_staff_again,
    a_student_renamed_by_their_launch,
    a_student_renamed_in_the_session,
    a_student_deactivated_and_a_new_one,
    a_thread_deleted,
    the_check_in_made_anonymous,
    an_occurrence_deleted,
    the_check_in_deleted,
    a_member_of_staff_erased,
]
