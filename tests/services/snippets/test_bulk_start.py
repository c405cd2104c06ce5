"""Bulk start: one action gives each of 500 students their own thread, with their own first name
and tutor in its first message, in a number of statements that grows with the chunks and not
with the students; a run repeated after a crash writes nothing twice; only active students of
the course can be chosen."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, update

from lti_tool.db import transaction
from lti_tool.models import (
    BulkStart,
    Course,
    CourseSetting,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Person,
    Placement,
    Registration,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.feedback.settings import TUTOR_AND_INSTRUCTORS, VISIBILITY
from lti_tool.services.refusals import Refused
from lti_tool.services.snippets import bulk_run, bulk_start, choosing
from lti_tool.services.snippets.bulk_start import (
    BulkStartRefused,
    preview,
    run_bulk,
    start_bulk,
)
from lti_tool.services.snippets.progress import bulk_progress
from lti_tool.services.snippets.service import first_name_of, with_fallbacks
from tests.conftest import state

NOW = datetime(2027, 1, 25, 12, 0, tzinfo=UTC)
BODY = (
    "Hi {first_name},\n\nI'm writing about *{activity_title}* in {course_title}. "
    "Your tutor, {tutor_name}, is there if you want to talk."
)
TITLE = "Your first essay, {first_name}"
WITHHELD_EVERY = 50  # every 50th student's LMS shares no name at all


def clock() -> datetime:
    return NOW


@dataclass
class Course500:
    course_id: int
    other_course_id: int
    staff_id: int
    tutors: dict[int, str]  # tutor id -> name
    students: list[int]  # in seeding order
    other_students: list[int]
    inactive_student: int

    def grant(self, role: str = "staff") -> CourseGrant:
        return CourseGrant(self.course_id, self.staff_id, CourseRole(role))


@pytest.fixture
def sessions(app: Any) -> Any:
    return state(app).sessions


def _people(session: Any, registration_id: int, prefix: str, count: int) -> list[int]:
    rows = []
    for n in range(count):
        withheld = n % WITHHELD_EVERY == WITHHELD_EVERY - 1
        rows.append(
            {
                "registration_id": registration_id,
                "sub": f"{prefix}-{n:04d}",
                "given_name": None if withheld else f"Given{n:03d}",
                "family_name": None if withheld else f"Family{n:03d}",
                "name": None if withheld else f"Given{n:03d} Family{n:03d}",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    session.execute(insert(Person).values(rows))
    return list(
        session.scalars(
            select(Person.id).where(Person.sub.startswith(f"{prefix}-")).order_by(Person.sub)
        )
    )


def _members(session: Any, course_id: int, ids: list[int], role: CourseRole, active=True) -> None:
    session.execute(
        insert(Membership).values(
            [
                {"course_id": course_id, "person_id": person_id, "role": role, "active": active,
                 "lti_roles": [], "created_at": NOW}
                for person_id in ids
            ]
        )
    )  # fmt: skip


@pytest.fixture
def course500(sessions: Any) -> Course500:
    """A course of 500 students (one statement per table), two tutors who share two thirds of
    them, an inactive student, and another course with students of its own."""
    with transaction(sessions) as session:
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id="c1",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
        )
        session.add(registration)
        session.flush()
        course = Course(registration_id=registration.id, context_id="c-1", title="Poetry *101*")
        other = Course(registration_id=registration.id, context_id="c-2", title="Prose")
        staff = Person(registration_id=registration.id, sub="teacher", name="Margaret Chen")
        tutor_a = Person(registration_id=registration.id, sub="tutor-a", name="Tomás Ruiz")
        tutor_b = Person(registration_id=registration.id, sub="tutor-b", name="Ada Lovelace")
        session.add_all([course, other, staff, tutor_a, tutor_b])
        session.flush()
        _members(session, course.id, [staff.id, tutor_a.id, tutor_b.id], CourseRole.STAFF)
        students = _people(session, registration.id, "student", 500)
        _members(session, course.id, students, CourseRole.STUDENT)
        others = _people(session, registration.id, "elsewhere", 3)
        _members(session, other.id, others, CourseRole.STUDENT)
        (inactive,) = _people(session, registration.id, "gone", 1)
        _members(session, course.id, [inactive], CourseRole.STUDENT, active=False)
        session.execute(
            insert(TutorAllocation).values(
                [
                    {"course_id": course.id, "student_id": student,
                     "tutor_id": tutor_a.id if n % 3 == 0 else tutor_b.id,
                     "assigned_at": NOW}
                    for n, student in enumerate(students)
                    if n % 3 != 2
                ]
            )
        )  # fmt: skip
        return Course500(
            course.id,
            other.id,
            staff.id,
            {tutor_a.id: "Tomás Ruiz", tutor_b.id: "Ada Lovelace"},
            students,
            others,
            inactive,
        )


@contextmanager
def statements(sessions: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def start(sessions: Any, course: Course500, students: list[int], **kw: Any) -> int:
    with transaction(sessions) as session:
        bulk = start_bulk(
            session,
            course.grant(),
            students,
            kw.get("title", TITLE),
            kw.get("body", BODY),
            kw.get("placement_id"),
            NOW,
        )
        return bulk.id


def measured_run(sessions: Any, bulk_id: int) -> tuple[int, float]:
    with statements(sessions) as seen:
        began = time.perf_counter()
        run_bulk(sessions, bulk_id, clock)
        elapsed = time.perf_counter() - began
    return len(seen), elapsed


def expected_tutor(course: Course500, n: int) -> str:
    if n % 3 == 2:
        return "your course team"
    ids = sorted(course.tutors)  # tutor A was added first
    return course.tutors[ids[0] if n % 3 == 0 else ids[1]]


# -- 500 students -----------------------------------------------------------------------------


def test_500_students_get_500_personal_threads_in_statements_per_chunk(sessions, course500):
    counts, times = {}, {}
    runs = {}
    for size in (100, 200, 500):
        runs[size] = start(sessions, course500, course500.students[:size])
        counts[size], times[size] = measured_run(sessions, runs[size])
    chunks = {size: size // bulk_start.CHUNK for size in counts}
    per_chunk = (counts[500] - counts[100]) // (chunks[500] - chunks[100])
    fixed = counts[100] - per_chunk * chunks[100]
    print(
        f"\nbulk start: statements {counts} ({per_chunk} per chunk of {bulk_start.CHUNK} "
        f"+ {fixed}); seconds {{{', '.join(f'{k}: {v:.3f}' for k, v in times.items())}}}"
    )
    # Linear in chunks, not in students: each further chunk of 100 costs the same few.
    assert counts[200] - counts[100] == per_chunk
    assert counts[500] - counts[200] == 3 * per_chunk
    assert per_chunk <= 7 and fixed <= 6

    with transaction(sessions) as session:
        threads = session.execute(
            select(FeedbackThread, FeedbackMessage)
            .join(FeedbackMessage, FeedbackMessage.thread_id == FeedbackThread.id)
            .where(FeedbackThread.bulk_start_id == runs[500])
        ).all()
        people = {p.id: p for p in session.scalars(select(Person))}
        bulk = session.get_one(BulkStart, runs[500])
        assert (bulk.status, bulk.done, bulk.total, bulk.finished_at) == ("done", 500, 500, NOW)
    assert len(threads) == 500
    assert sorted(thread.student_id for thread, _ in threads) == sorted(course500.students)
    order = {student: n for n, student in enumerate(course500.students)}
    for thread, message in threads:
        n, student = order[thread.student_id], people[thread.student_id]
        first_name = first_name_of(student)
        # Each message names its own student, and no one else.
        assert set(re.findall(r"Given\d{3}|Student [0-9a-f]{4}", message.body)) == {first_name}
        assert thread.title == f"Your first essay, {first_name}"
        assert f"Your tutor, {expected_tutor(course500, n)}, is there" in message.body_html
        assert "in Poetry *101*." in message.body_html  # the course title stays literal
        assert "<em>Your first essay, " in message.body_html  # {activity_title}: the title
        assert (thread.course_id, thread.placement_id) == (course500.course_id, None)
        assert thread.started_by_id == thread.last_author_id == message.author_id
        assert message.author_id == course500.staff_id
        assert thread.last_message_at == message.created_at == NOW
        assert message.automated is True and message.score_given is None
    withheld = [people[s] for n, s in enumerate(course500.students) if n % WITHHELD_EVERY == 49]
    assert all(first_name_of(p).startswith("Student ") for p in withheld) and len(withheld) == 10


def test_a_run_repeated_after_a_crash_writes_nothing_twice(sessions, course500, monkeypatch):
    bulk_id = start(sessions, course500, course500.students[:350])
    real = bulk_run._start_threads
    calls = []

    def dies_on_the_third_chunk(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit("the worker was killed")  # not an error the run can record
        real(*args)

    monkeypatch.setattr(bulk_run, "_start_threads", dies_on_the_third_chunk)
    with pytest.raises(SystemExit):
        run_bulk(sessions, bulk_id, clock)
    monkeypatch.setattr(bulk_run, "_start_threads", real)
    assert progress_of(sessions, course500, bulk_id)[:2] == ("running", 200)

    assert run_bulk(sessions, bulk_id, clock) == 150  # resumes where it stopped
    assert run_bulk(sessions, bulk_id, clock) == 0  # done: nothing left to do
    # Even told to start over from nothing, every student already has their thread.
    with transaction(sessions) as session:
        session.execute(
            update(BulkStart).where(BulkStart.id == bulk_id).values(status="running", done=0)
        )
    assert run_bulk(sessions, bulk_id, clock) == 350
    assert progress_of(sessions, course500, bulk_id)[:2] == ("done", 350)
    with transaction(sessions) as session:
        threads = session.scalar(
            select(func.count(func.distinct(FeedbackThread.student_id))).where(
                FeedbackThread.bulk_start_id == bulk_id
            )
        )
        all_threads = session.scalar(select(func.count()).select_from(FeedbackThread))
        messages = session.scalar(select(func.count()).select_from(FeedbackMessage))
    assert threads == all_threads == messages == 350


def test_a_second_runner_of_the_same_start_writes_nothing(sessions, course500, monkeypatch):
    bulk_id = start(sessions, course500, course500.students[:150])
    real_prepare = bulk_run._prepare

    def another_runner_gets_there_first(session: Any, bulk: Any) -> Any:
        run = real_prepare(session, bulk)
        monkeypatch.setattr(bulk_run, "_prepare", real_prepare)
        assert run_bulk(sessions, bulk_id, clock) == 150
        return run

    monkeypatch.setattr(bulk_run, "_prepare", another_runner_gets_there_first)
    assert run_bulk(sessions, bulk_id, clock) == 0
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(FeedbackThread)) == 150
        assert session.scalar(select(func.count()).select_from(FeedbackMessage)) == 150


def test_the_same_start_confirmed_twice_is_one_start(sessions, course500):
    first = start(sessions, course500, course500.students[:3])
    assert start(sessions, course500, course500.students[:3]) == first
    assert start(sessions, course500, course500.students[:2]) != first
    assert start(sessions, course500, course500.students[:3], body="Other words") != first


def progress_of(sessions: Any, course: Course500, bulk_id: int) -> tuple[str, int, int]:
    with transaction(sessions) as session:
        found = bulk_progress(session, course.grant(), bulk_id)
        return found.status, found.done, found.total


def test_a_failed_run_says_so_and_keeps_what_it_wrote(sessions, course500, monkeypatch):
    bulk_id = start(sessions, course500, course500.students[:250])
    real = bulk_run._start_threads
    calls = []

    def fails_on_the_second_chunk(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(*args)

    monkeypatch.setattr(bulk_run, "_start_threads", fails_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        run_bulk(sessions, bulk_id, clock)
    with transaction(sessions) as session:
        found = bulk_progress(session, course500.grant(), bulk_id)
    assert (found.status, found.done, found.running) == ("failed", 100, False)
    assert found.error and "RuntimeError" in found.error and "disk full" not in found.error


# -- who may be chosen ------------------------------------------------------------------------


def refusal(sessions: Any, course: Course500, students: list[int], **kw: Any) -> BulkStartRefused:
    with transaction(sessions) as session, pytest.raises(BulkStartRefused) as refused:
        start_bulk(
            session,
            kw.pop("grant", course.grant()),
            students,
            kw.get("title", TITLE),
            kw.get("body", BODY),
            kw.get("placement_id"),
            NOW,
        )
    return refused.value


def test_only_active_students_of_this_course_can_be_chosen(sessions, course500):
    mine = course500.students[:3]
    for strangers in (
        course500.other_students[:1],  # a student of another course
        [course500.inactive_student],  # no longer active here
        [course500.staff_id],  # staff, not a student
        [next(iter(course500.tutors))],
        [10_000_000],  # nobody
    ):
        refused = refusal(sessions, course500, mine + strangers)
        assert refused.status == 400
        assert (
            refused.errors["students"]
            == "1 of the people chosen is not an active student of this course."
        )
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(BulkStart)) == 0


def test_where_only_tutors_write_a_teaching_assistant_starts_threads_with_their_tutees(
    sessions, course500
):
    """The feedback rule (`can_write_to_student`) holds for bulk starts: with the course's
    feedback restricted to a student's tutor and the instructors, a teaching assistant is
    offered, and may start threads with, their own tutees only."""
    tutor_a = next(iter(course500.tutors))
    grant = CourseGrant(course500.course_id, tutor_a, CourseRole.STAFF)
    theirs = course500.students[0:9:3]  # every third student is Tomás's
    someone_elses = course500.students[1]
    with transaction(sessions) as session:
        offered = choosing.choices(session, grant, "", 1)
        assert offered.everyone and offered.sizes["all"] == 500
        session.add(
            CourseSetting(
                course_id=course500.course_id, key=VISIBILITY, value=TUTOR_AND_INSTRUCTORS
            )
        )
    with transaction(sessions) as session:
        offered = choosing.choices(session, grant, "", 1)
        assert not offered.everyone and offered.sizes["all"] == offered.sizes["tutees"] == 167
        assert offered.picker.matching == 167 and offered.picker.pages == 2
        assert all(c.my_tutee for c in offered.picker.students)
        assert choosing.group_members(session, grant, "all") == choosing.group_members(
            session, grant, "tutees"
        )
    refused = refusal(sessions, course500, [*theirs, someone_elses], grant=grant)
    assert refused.status == 400
    assert refused.errors["students"] == (
        "In this course, only a student's tutor and the instructors write to them: "
        "1 of the students chosen is not your tutee."
    )
    with transaction(sessions) as session:
        bulk = start_bulk(session, grant, theirs, TITLE, BODY, None, NOW)
        assert bulk.total == 3
    with transaction(sessions) as session:  # "all students" is all they may write to
        bulk = start_bulk(session, grant, [], "Everyone", BODY, None, NOW, "all")
        assert bulk.total == 167 and set(theirs) <= set(bulk.student_ids)
        assert someone_elses not in bulk.student_ids


@pytest.mark.parametrize("role", ["student", "guest"])
def test_only_staff_start_threads_in_bulk(sessions, course500, role):
    refused = refusal(sessions, course500, course500.students[:2], grant=course500.grant(role))
    assert refused.status == 403
    with transaction(sessions) as session, pytest.raises(BulkStartRefused) as progress:
        bulk_progress(session, course500.grant(role), 1)
    assert progress.value.status == 403


def test_between_one_and_two_thousand_students_with_words_within_limits(sessions, course500):
    assert set(refusal(sessions, course500, []).errors) == {"students"}
    too_many = refusal(sessions, course500, list(range(1, 2_002)))
    assert too_many.errors["students"].startswith("Choose at most 2,000 students")
    empty = refusal(sessions, course500, course500.students[:1], title=" ", body="\n")
    assert set(empty.errors) == {"title", "body"}
    long = refusal(sessions, course500, course500.students[:1], title="t" * 201, body="b" * 5_001)
    assert set(long.errors) == {"title", "body"}


def test_the_activity_must_be_one_of_this_course_s_feedback_activities(sessions, course500):
    with transaction(sessions) as session:
        theirs = Placement(
            course_id=course500.other_course_id, token="t1", kind="feedback", title="X"
        )
        newsfeed = Placement(
            course_id=course500.course_id, token="t2", kind="course_home", title="N"
        )
        session.add_all([theirs, newsfeed])
        session.flush()
        ids = [theirs.id, newsfeed.id, 10_000]
    for placement_id in ids:
        refused = refusal(sessions, course500, course500.students[:1], placement_id=placement_id)
        assert set(refused.errors) == {"placement_id"}


def test_a_bulk_start_of_another_course_is_not_found(sessions, course500):
    bulk_id = start(sessions, course500, course500.students[:1])
    elsewhere = CourseGrant(course500.other_course_id, course500.staff_id, CourseRole.STAFF)
    with transaction(sessions) as session, pytest.raises(BulkStartRefused) as refused:
        bulk_progress(session, elsewhere, bulk_id)
    assert refused.value.status == 404


# -- activities and previews ------------------------------------------------------------------


def test_a_student_with_a_thread_for_the_activity_gets_the_message_in_it(sessions, course500):
    first, second = course500.students[:2]
    with transaction(sessions) as session:
        essay = Placement(
            course_id=course500.course_id, token="e1", kind="feedback", title="Essay 1"
        )
        session.add(essay)
        session.flush()
        earlier = FeedbackThread(
            course_id=course500.course_id,
            student_id=first,
            title="Essay 1 feedback",
            placement_id=essay.id,
            started_by_id=first,
            created_at=NOW,
            last_message_at=NOW,
            last_author_id=first,
        )
        session.add(earlier)
        session.flush()
        essay_id, earlier_id = essay.id, earlier.id
    later = datetime(2027, 1, 26, 9, 0, tzinfo=UTC)
    bulk_id = start(sessions, course500, [first, second], placement_id=essay_id)
    run_bulk(sessions, bulk_id, lambda: later)
    with transaction(sessions) as session:
        threads = session.scalars(
            select(FeedbackThread).where(FeedbackThread.placement_id == essay_id)
        ).all()
        by_student = {t.student_id: t for t in threads}
        messages = session.scalars(
            select(FeedbackMessage).where(FeedbackMessage.thread_id == earlier_id)
        ).all()
    assert set(by_student) == {first, second}
    assert by_student[first].id == earlier_id and by_student[first].title == "Essay 1 feedback"
    assert by_student[first].last_author_id == course500.staff_id
    assert by_student[first].last_message_at == later
    assert by_student[second].bulk_start_id == bulk_id
    assert len(messages) == 1 and "<em>Essay 1</em>" in messages[0].body_html


def test_the_preview_shows_the_first_two_as_they_will_read(sessions, course500):
    with transaction(sessions) as session:
        session.execute(
            update(Person).where(Person.id == course500.students[1]).values(given_name="*Bo*")
        )
        shown = preview(session, course500.grant(), course500.students[:300], TITLE, BODY, None)
    assert len(shown.request.student_ids) == 300
    assert [m.student_name for m in shown.messages] == ["Given000 Family000", "Given001 Family001"]
    assert [m.title for m in shown.messages] == [
        "Your first essay, Given000",
        "Your first essay, *Bo*",
    ]
    assert shown.messages[0].body_html.startswith("<p>Hi Given000,</p>")
    assert "Your tutor, Tomás Ruiz, is there" in shown.messages[0].body_html
    assert shown.messages[1].body_html.startswith("<p>Hi *Bo*,</p>")
    assert "Your tutor, Ada Lovelace, is there" in shown.messages[1].body_html
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(FeedbackThread)) == 0


def test_a_group_is_its_students_when_the_start_is_confirmed(sessions, course500):
    """Every active student, my tutees, students nobody has written to yet: resolved on the
    server at the start, never beyond the active students of the course, and never capped at
    MAX_STUDENTS as picks are."""
    grant = course500.grant()
    tutor_grant = CourseGrant(course500.course_id, next(iter(course500.tutors)), CourseRole.STAFF)
    with transaction(sessions) as session:
        everyone = set(choosing.group_members(session, grant, "all"))
        assert everyone == set(course500.students)
        assert course500.inactive_student not in everyone
        assert not everyone & set(course500.other_students)
        sizes = choosing.group_sizes(session, tutor_grant, True)
        assert sizes["all"] == 500 and sizes["tutees"] == 167 and sizes["uncontacted"] == 500
    with transaction(sessions) as session:
        first_ten = start_bulk(session, grant, course500.students[:10], TITLE, BODY, None, NOW)
    run_bulk(sessions, first_ten.id, clock)
    with transaction(sessions) as session:
        nobody_yet = choosing.group_members(session, grant, "uncontacted")
        assert set(nobody_yet) == everyone - set(course500.students[:10])
        bulk = start_bulk(session, grant, [4, 5], "Hello", BODY, None, NOW, "uncontacted")
        assert sorted(bulk.student_ids) == sorted(nobody_yet)  # the picks do not count
    with transaction(sessions) as session, pytest.raises(BulkStartRefused) as refused:
        start_bulk(session, grant, [], "Hello", BODY, None, NOW, "tutees")
    assert refused.value.errors["students"].startswith("Nobody is in that group now")
    with transaction(sessions) as session, pytest.raises(BulkStartRefused) as unknown:
        start_bulk(session, grant, [], "Hello", BODY, None, NOW, "everybody")
    assert unknown.value.status == 400


def test_the_picker_pages_and_searches_the_students_in_sql(sessions, course500):
    grant = course500.grant()
    with transaction(sessions) as session:
        first = choosing.choices(session, grant, "", 1).picker
        last = choosing.choices(session, grant, "", 99).picker
        assert first.matching == 500 and first.pages == 5 and last.page == 5
        assert len(first.students) == choosing.PICKER_PAGE_SIZE
        names = [c.name.casefold() for c in first.students]
        assert names == sorted(names)
        assert not {c.person_id for c in first.students} & {c.person_id for c in last.students}
        wanted = first.students[7]
        found = choosing.choices(session, grant, f"  {wanted.name.upper()} ", 1).picker
        assert wanted.person_id in {c.person_id for c in found.students}
        assert found.search == wanted.name.upper() and found.matching == len(found.students)
        assert choosing.choices(session, grant, "%_ nobody", 1).picker.matching == 0
    with transaction(sessions) as session, pytest.raises(Refused) as refused:
        choosing.choices(session, course500.grant("student"), "", 1)
    assert refused.value.status == 403


# -- empty merge fields ----------------------------------------------------------------------

MISSING_BODY = "Hello {first_name}. Your tutor {tutor_name} and I will read your essay."


def preview_of(sessions, course: Course500, students: list[int], body: str = MISSING_BODY):
    with transaction(sessions) as session:
        return bulk_start.preview(session, course.grant(), students, "Essay", body, None)


def test_the_preview_counts_every_selected_student_missing_a_field(sessions, course500):
    # The first 100 students: every third has no tutor, and the 50th shares no name at all.
    chosen = course500.students[:100]
    shown = preview_of(sessions, course500, chosen)
    missing = {gap.name: gap.students for gap in shown.missing}
    assert missing == {"tutor_name": 33, "first_name": 2}
    no_tutor = {s for n, s in enumerate(chosen) if n % 3 == 2}
    nameless = {chosen[49], chosen[99]}
    assert set(shown.complete) == set(chosen) - no_tutor - nameless
    assert len(shown.messages) == 2  # still the first two, as they will read them

    fixed = preview_of(
        sessions, course500, chosen, with_fallbacks(MISSING_BODY, {"tutor_name": "the team"})
    )
    assert [gap.name for gap in fixed.missing] == ["first_name"]
    assert preview_of(sessions, course500, shown.complete).missing == []
