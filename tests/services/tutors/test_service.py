"""Personal tutor rules, without Flask: who may allocate, allocating by hand with its history,
balancing worked out by hand (with and without LMS sections), ids from another course, the
staff page's filters, the student's tutor card, and statements at 20 and at 500 students."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from lti_tool.db import transaction
from lti_tool.models import (
    Course,
    Membership,
    Person,
    Registration,
    StaffProfile,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.refusals import Refused
from lti_tool.services.tutors import balance as tutor_balance
from lti_tool.services.tutors import service as tutors
from lti_tool.services.tutors.balance import balance, plan_balance
from lti_tool.services.tutors.pages import allocation_page
from lti_tool.services.tutors.service import (
    allocate,
    can_allocate_tutors,
    current_tutor_ids,
    history,
    tutee_ids,
    tutor_card_for,
)
from tests.conftest import state

T0 = datetime(2027, 1, 25, 9, 0, tzinfo=UTC)
STAFF, STUDENT, GUEST = CourseRole.STAFF, CourseRole.STUDENT, CourseRole.GUEST


@dataclass
class Classroom:
    """A course in the test database, and the ids of the people in it by name."""

    id: int
    sessions: Any
    registration_id: int
    ids: dict[str, int] = field(default_factory=dict)

    def add(
        self, name: str, role: CourseRole, section: str | None = None, active: bool = True
    ) -> int:
        with transaction(self.sessions) as session:
            person = Person(
                registration_id=self.registration_id, sub=f"{self.id}-{name}", name=name
            )
            session.add(person)
            session.flush()
            session.add(
                Membership(
                    course_id=self.id,
                    person_id=person.id,
                    role=role,
                    section=section,
                    active=active,
                )
            )
            self.ids[name] = person.id
            return person.id

    def grant(self, name: str) -> CourseGrant:
        with transaction(self.sessions) as session:
            role = session.scalar(
                select(Membership.role).where(
                    Membership.course_id == self.id, Membership.person_id == self.ids[name]
                )
            )
        return CourseGrant(self.id, self.ids[name], CourseRole(role))

    def tutors(self) -> dict[str, str]:
        """Each student's current tutor, by name."""
        names = {v: k for k, v in self.ids.items()}
        with transaction(self.sessions) as session:
            current = current_tutor_ids(session, self.id)
        return {names[s]: names[t] for s, t in sorted(current.items()) if s in names}

    def allocate(self, by: str, student: str, tutor: str | None, now: datetime = T0) -> None:
        with transaction(self.sessions) as session:
            allocate(
                session,
                self.grant(by),
                self.ids[student],
                self.ids[tutor] if tutor else None,
                now,
            )

    def balance(self, by: str = "Ada", **kw: Any) -> tutor_balance.BalanceResult:
        if "tutors" in kw:
            kw["tutor_ids"] = [self.ids[n] for n in kw.pop("tutors")]
        kw.setdefault("by_section", False)
        with transaction(self.sessions) as session:
            return balance(session, self.grant(by), kw.pop("now", T0), **kw)


@pytest.fixture
def sessions(app: Any) -> Any:
    return state(app).sessions


def _course(sessions: Any, context: str, registration_id: int | None = None) -> Classroom:
    with transaction(sessions) as session:
        if registration_id is None:
            registration = Registration(
                issuer="https://lms.example.edu",
                client_id="c1",
                auth_login_url="https://lms.example.edu/auth",
                auth_token_url="https://lms.example.edu/token",
            )
            session.add(registration)
            session.flush()
            registration_id = registration.id
        course = Course(registration_id=registration_id, context_id=context, title=context)
        session.add(course)
        session.flush()
        return Classroom(course.id, sessions, registration_id)


@pytest.fixture
def course(sessions: Any) -> Classroom:
    """Staff Ada and Ben; nobody else yet."""
    made = _course(sessions, "poetry")
    made.add("Ada", STAFF)
    made.add("Ben", STAFF)
    return made


@pytest.fixture
def other(sessions: Any, course: Classroom) -> Classroom:
    """Another course of the same platform, with its own staff member and student."""
    made = _course(sessions, "chemistry", course.registration_id)
    made.add("Xena", STAFF)
    made.add("Yuri", STUDENT)
    return made


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


# -- who may ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "allowed"), [(STAFF, True), (STUDENT, False), (GUEST, False)])
def test_only_staff_allocate_tutors(role, allowed):
    assert can_allocate_tutors(CourseGrant(1, 2, role)) is allowed


@pytest.mark.parametrize("role", [STUDENT, GUEST])
def test_students_and_guests_are_refused_every_action(sessions, course, role):
    course.add("Cleo", STUDENT)
    course.add("Mo", role if role is GUEST else STUDENT)
    grant = CourseGrant(course.id, course.ids["Mo"], role)
    with transaction(sessions) as session:
        for action in (
            lambda: allocate(session, grant, course.ids["Cleo"], course.ids["Ada"], T0),
            lambda: balance(session, grant, T0, by_section=False),
            lambda: allocation_page(session, grant, "all", 1),
            lambda: tutors.history_page(session, grant, course.ids["Cleo"]),
        ):
            with pytest.raises(Refused) as refused:
                action()
            assert refused.value.status == 403
    assert course.tutors() == {}


# -- by hand ------------------------------------------------------------------------------------
def test_reallocating_keeps_who_tutored_when_and_who_chose(sessions, course):
    course.add("Cleo", STUDENT)
    course.allocate("Ada", "Cleo", "Ada", T0)
    course.allocate("Ben", "Cleo", "Ben", T0 + timedelta(days=3))
    course.allocate("Ada", "Cleo", None, T0 + timedelta(days=5))
    course.allocate("Ada", "Cleo", "Ada", T0 + timedelta(days=9))
    with transaction(sessions) as session:
        spells = history(session, course.id, course.ids["Cleo"])
    assert [(s.tutor_name, s.assigned_at, s.ended_at, s.assigned_by) for s in spells] == [
        ("Ada", T0 + timedelta(days=9), None, "Ada"),
        ("Ben", T0 + timedelta(days=3), T0 + timedelta(days=5), "Ben"),
        ("Ada", T0, T0 + timedelta(days=3), "Ada"),
    ]
    assert course.tutors() == {"Cleo": "Ada"}


def test_choosing_the_same_tutor_again_writes_nothing(sessions, course):
    course.add("Cleo", STUDENT)
    course.allocate("Ada", "Cleo", "Ben")
    course.allocate("Ada", "Cleo", "Ben", T0 + timedelta(hours=1))
    with transaction(sessions) as session:
        assert len(history(session, course.id, course.ids["Cleo"])) == 1
    course.allocate("Ada", "Cleo", None)
    course.allocate("Ada", "Cleo", None)  # removing nobody is no change either
    with transaction(sessions) as session:
        assert len(history(session, course.id, course.ids["Cleo"])) == 1


def test_ids_from_another_course_never_work(sessions, course, other):
    course.add("Cleo", STUDENT)
    course.add("Gone", STUDENT, active=False)
    course.add("Gil", GUEST)
    course.add("Old", STAFF, active=False)
    refusals = [
        ("Cleo", other.ids["Xena"]),  # staff of the other course as tutor
        (other.ids["Yuri"], "Ada"),  # a student of the other course
        ("Cleo", course.ids["Cleo"]),  # a student as their own tutor
        ("Ada", "Ben"),  # staff as a tutee
        ("Gil", "Ada"),  # a guest (mentor) as a tutee
        ("Gone", "Ada"),  # a student no longer active
        ("Cleo", "Old"),  # staff no longer active
        ("Cleo", 999_999),  # nobody at all
    ]
    for student, tutor in refusals:
        student_id = course.ids[student] if isinstance(student, str) else student
        tutor_id = course.ids[tutor] if isinstance(tutor, str) else tutor
        with transaction(sessions) as session, pytest.raises(Refused) as refused:
            allocate(session, course.grant("Ada"), student_id, tutor_id, T0)
        assert refused.value.status == 400
    with transaction(sessions) as session, pytest.raises(Refused):
        balance(session, course.grant("Ada"), T0, False, tutor_ids=[other.ids["Xena"]])
    with transaction(sessions) as session:
        assert session.scalars(select(TutorAllocation)).all() == []
    # The other course's staff cannot reach this course's students through their own grant.
    with transaction(sessions) as session, pytest.raises(Refused):
        allocate(session, other.grant("Xena"), course.ids["Cleo"], other.ids["Xena"], T0)


def test_a_concurrent_allocation_between_read_and_insert_is_retried(sessions, course, monkeypatch):
    """Two staff at once: the other's row lands after we read; the unique index turns our
    insert into nothing, and the second pass ends their row and starts ours."""
    course.add("Cleo", STUDENT)
    real = tutors.insert_current
    calls: list[int] = []

    def racing(session: Any, rows: list[dict[str, Any]]) -> int:
        if not calls:
            calls.append(1)
            real(session, [{**rows[0], "tutor_id": course.ids["Ben"], "assigned_by_id": None}])
        return real(session, rows)

    monkeypatch.setattr(tutors, "insert_current", racing)
    course.allocate("Ada", "Cleo", "Ada")
    assert course.tutors() == {"Cleo": "Ada"}
    with transaction(sessions) as session:
        spells = history(session, course.id, course.ids["Cleo"])
    assert [(s.tutor_name, s.ended_at is None) for s in spells] == [("Ada", True), ("Ben", False)]


# -- balancing, worked out by hand ---------------------------------------------------------------
def test_balancing_gives_each_student_the_least_loaded_tutor_counting_existing_tutees(course):
    for name in ("S1", "S2", "S3", "S4", "S5", "S6"):
        course.add(name, STUDENT)
    course.allocate("Ada", "S1", "Ada")
    course.allocate("Ada", "S2", "Ada")
    result = course.balance()
    # Ada starts with 2, Ben with 0: S3 and S4 go to Ben (2-2), then S5 Ada (lower id on a
    # tie), S6 Ben.
    assert course.tutors() == {
        "S1": "Ada", "S2": "Ada", "S3": "Ben", "S4": "Ben", "S5": "Ada", "S6": "Ben",
    }  # fmt: skip
    assert result.count == 4
    assert result.loads == {course.ids["Ada"]: 3, course.ids["Ben"]: 3}
    assert course.balance().count == 0  # nothing left to do


def test_only_the_chosen_tutors_take_students_and_others_keep_theirs(course):
    course.add("Cy", STAFF)
    for name in ("S1", "S2", "S3", "S4"):
        course.add(name, STUDENT)
    course.allocate("Ada", "S1", "Cy")
    course.balance(tutors=["Ben", "Cy"])
    # Cy has S1 already, so S2 goes to Ben; then 1-1, and a tie goes to the lower id (Ben);
    # then S4 to Cy.
    assert course.tutors() == {"S1": "Cy", "S2": "Ben", "S3": "Ben", "S4": "Cy"}
    course.balance(tutors=["Ada"], only_unallocated=True)
    assert course.tutors()["S1"] == "Cy"  # kept: Cy is still active staff


def test_a_student_whose_tutor_left_the_staff_counts_as_without_a_tutor(sessions, course):
    course.add("S1", STUDENT)
    course.add("S2", STUDENT)
    course.allocate("Ada", "S1", "Ben")
    course.allocate("Ada", "S2", "Ben")
    with transaction(sessions) as session:
        session.execute(
            Membership.__table__.update()
            .where(Membership.person_id == course.ids["Ben"])
            .values(active=False)
        )
    with transaction(sessions) as session:
        page = allocation_page(session, course.grant("Ada"), "unallocated", 1)
        assert [r.name for r in page.rows] == ["S1", "S2"]
        assert not page.rows[0].tutor_active and page.rows[0].tutor_name == "Ben"
        assert tutor_card_for(session, course.id, course.ids["S1"]) is None
    assert course.balance().count == 2
    assert course.tutors() == {"S1": "Ada", "S2": "Ada"}


def test_balancing_everyone_evens_loads_moving_as_few_as_it_takes(sessions, course):
    course.add("Cy", STAFF)
    for n in range(1, 8):
        course.add(f"S{n}", STUDENT)
    for n in range(1, 7):
        course.allocate("Ada", f"S{n}", "Ada")
    course.allocate("Ada", "S7", "Ben")
    result = course.balance(only_unallocated=False)
    # 7 students over 3 tutors: 3-2-2 at best. Ada keeps S1-S3; her latest move, each to
    # whoever has fewest (the lower id on a tie): S6 to Cy (0), S5 to Ben (1-1), S4 to Cy.
    assert course.tutors() == {
        "S1": "Ada", "S2": "Ada", "S3": "Ada", "S4": "Cy", "S5": "Ben", "S6": "Cy", "S7": "Ben",
    }  # fmt: skip
    assert result.count == 3
    assert sorted(result.loads.values()) == [2, 2, 3]
    with transaction(sessions) as session:
        assert len(history(session, course.id, course.ids["S1"])) == 1  # untouched
        assert len(history(session, course.id, course.ids["S6"])) == 2


def test_balancing_by_section_keeps_a_section_with_its_own_staff(course):
    """Cy and Dot launched from section A; Ada and Ben from no section. Section A's students
    go to Cy and Dot only; section B (no staff of its own) and section-less students are
    spread over all four, the least loaded first."""
    course.add("Cy", STAFF, section="A")
    course.add("Dot", STAFF, section="A")
    for name, section in [
        ("A1", "A"), ("B1", "B"), ("A2", "A"), ("N1", None), ("A3", "A"), ("B2", "B"),
        ("A4", "A"), ("A5", "A"), ("B3", "B"),
    ]:  # fmt: skip
        course.add(name, STUDENT, section=section)
    course.balance(by_section=True)
    # Section A first, over Cy and Dot: A1 Cy, A2 Dot, A3 Cy, A4 Dot, A5 Cy (Cy 3, Dot 2).
    # Then section B over all four by load: B1 Ada, B2 Ben, B3 Ada (1-1: the lower id).
    # Last, no section: N1 to Ben (1 against Ada's 2).
    assert course.tutors() == {
        "A1": "Cy", "B1": "Ada", "A2": "Dot", "N1": "Ben", "A3": "Cy", "B2": "Ben",
        "A4": "Dot", "A5": "Cy", "B3": "Ada",
    }  # fmt: skip


def test_balancing_by_section_without_section_staff_spreads_each_section_over_everyone(course):
    for name, section in [
        ("A1", "A"), ("A2", "A"), ("A3", "A"), ("B1", "B"), ("B2", "B"), ("B3", "B"),
    ]:  # fmt: skip
        course.add(name, STUDENT, section=section)
    course.balance(by_section=True)
    # A: A1 Ada, A2 Ben, A3 Ada (2-1). B: B1 Ben (1 < 2), then both at 2: B2 to whoever has
    # fewer of section B (Ada 0), B3 Ben.
    assert course.tutors() == {
        "A1": "Ada", "A2": "Ben", "A3": "Ada", "B1": "Ben", "B2": "Ada", "B3": "Ben",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("students", "tutors_", "current", "kw", "expected"),
    [
        # Nobody yet, three tutors, seven students: round the least loaded, lowest id first.
        (
            dict.fromkeys(range(10, 17)),
            {1: None, 2: None, 3: None},
            {},
            {"by_section": False, "only_unallocated": True},
            {10: 1, 11: 2, 12: 3, 13: 1, 14: 2, 15: 3, 16: 1},
        ),
        # Rebalancing everyone when already even moves nobody.
        (
            {10: None, 11: None, 12: None, 13: None},
            {1: None, 2: None},
            {10: 2, 11: 2, 12: 1, 13: 1},
            {"by_section": False, "only_unallocated": False},
            {},
        ),
        # Everyone with a section bound to staff 2 who is the only one: all to 2, however
        # uneven, since nobody else may take them.
        (
            {10: "A", 11: "A", 12: "A"},
            {1: None, 2: "A"},
            {},
            {"by_section": True, "only_unallocated": False},
            {10: 2, 11: 2, 12: 2},
        ),
        # Rebalancing by section moves a section-A student away from a tutor outside A.
        (
            {10: "A", 11: None},
            {1: None, 2: "A"},
            {10: 1, 11: 1},
            {"by_section": True, "only_unallocated": False},
            {10: 2},
        ),
    ],
)
def test_the_plan_in_small_cases(students, tutors_, current, kw, expected):
    assert plan_balance(students, tutors_, current, tutors_.keys(), **kw) == expected


# -- the staff page ------------------------------------------------------------------------------
def test_the_page_lists_students_by_name_with_filters_and_loads(sessions, course, other):
    for name, section in [("Zoe", "A"), ("Amir", None), ("Lea", "B")]:
        course.add(name, STUDENT, section=section)
    course.add("Mentor Mo", GUEST)
    course.allocate("Ada", "Zoe", "Ada")
    course.allocate("Ada", "Lea", "Ben")
    with transaction(sessions) as session:
        session.add(
            StaffProfile(course_id=course.id, person_id=course.ids["Ada"], role_title="Lead")
        )
    grant = course.grant("Ada")
    with transaction(sessions) as session:
        everyone = allocation_page(session, grant, "all", 1)
        mine = allocation_page(session, grant, "mine", 1)
        without = allocation_page(session, grant, "unallocated", 1)
    assert [(r.name, r.section, r.tutor_name) for r in everyone.rows] == [
        ("Amir", None, None),
        ("Lea", "B", "Ben"),
        ("Zoe", "A", "Ada"),
    ]
    assert everyone.counts == {"all": 3, "mine": 1, "unallocated": 1}
    assert everyone.with_section == 2
    assert [r.name for r in mine.rows] == ["Zoe"]
    assert [r.name for r in without.rows] == ["Amir"]
    assert [(t.name, t.role_title, t.tutees) for t in everyone.staff] == [
        ("Ada", "Lead", 1),
        ("Ben", None, 1),
    ]
    with transaction(sessions) as session, pytest.raises(Refused):
        allocation_page(session, grant, "everybody", 1)


def test_a_student_sees_their_tutor_s_profile_card(sessions, course):
    course.add("Cleo", STUDENT)
    with transaction(sessions) as session:
        assert tutor_card_for(session, course.id, course.ids["Cleo"]) is None
        session.add(
            StaffProfile(
                course_id=course.id,
                person_id=course.ids["Ben"],
                pronouns="he/him",
                role_title="Personal tutor",
                contact="Thursdays 10-12.",
            )
        )
    course.allocate("Ada", "Cleo", "Ben")
    with transaction(sessions) as session:
        card = tutor_card_for(session, course.id, course.ids["Cleo"])
    assert card is not None
    assert (card.name, card.role_title, card.pronouns, card.contact) == (
        "Ben",
        "Personal tutor",
        "he/him",
        "Thursdays 10-12.",
    )
    with transaction(sessions) as session:
        assert tutee_ids(session, course.id, course.ids["Ben"]) == {course.ids["Cleo"]}


# -- statements ---------------------------------------------------------------------------------
def _seed(sessions: Any, course: Classroom, size: int) -> None:
    """`size` students in two sections, a third of them with Ada already; one statement each."""
    with transaction(sessions) as session:
        prefix = f"bulk-{course.id}-"
        session.execute(
            insert(Person),
            [
                {"registration_id": course.registration_id, "sub": f"{prefix}{n:04d}",
                 "name": f"Student {n:04d}"}
                for n in range(size)
            ],
        )  # fmt: skip
        ids = session.scalars(
            select(Person.id).where(Person.sub.startswith(prefix)).order_by(Person.id)
        ).all()
        session.execute(
            insert(Membership),
            [
                {"course_id": course.id, "person_id": pid, "role": STUDENT, "active": True,
                 "lti_roles": [], "section": "AB"[n % 2]}
                for n, pid in enumerate(ids)
            ],
        )  # fmt: skip
        session.execute(
            insert(TutorAllocation),
            [
                {"course_id": course.id, "student_id": pid, "tutor_id": course.ids["Ada"],
                 "assigned_at": T0}
                for pid in ids[: size // 3]
            ],
        )  # fmt: skip


@pytest.mark.parametrize(
    "action",
    [
        "balance unallocated",
        "balance everyone by section",
        "page of all",
        "page of mine",
        "page of unallocated",
    ],
)
def test_statements_do_not_grow_with_the_course(sessions, action):
    counts = []
    registration_id = None
    for size in (20, 500):
        made = _course(sessions, f"size-{size}", registration_id)
        registration_id = made.registration_id
        made.add("Ada", STAFF)
        made.add("Ben", STAFF, section="A")
        _seed(sessions, made, size)
        with transaction(sessions) as session, statements(sessions) as seen:
            grant = made.grant("Ada")
            seen.clear()
            if action.startswith("balance"):
                result = balance(
                    session,
                    grant,
                    T0,
                    by_section="section" in action,
                    only_unallocated="unallocated" in action,
                )
                assert result.count > 0
            else:
                page = allocation_page(session, grant, action.split()[-1], 1)
                assert page.rows
            counts.append(len(seen))
    assert counts[0] == counts[1], counts
    assert counts[0] <= (5 if action.startswith("balance") else 4), counts
