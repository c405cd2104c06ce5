"""Personal tutors: every student knows who "their" person on the course team is.

An allocation row links a student to a tutor from the course's staff; reallocating ends the
current row (`ended_at`) and starts a new one, so the history stays. Staff allocate by hand
(`allocate`) or spread students evenly (`balance`), optionally keeping an LMS section (LIS
claim `course_section_sourcedid`, LTI 1.3 Core §5.4.5) with the staff who launched from it.

Writers never hold locks: the partial unique index (one current row per student) settles
races, and a new current row is inserted with ON CONFLICT DO NOTHING, so a concurrent write
shows up as "nothing inserted" rather than an aborted transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from lti_tool.models import Course, Membership, Person, StaffProfile, TutorAllocation
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.profiles import AuthorCard, card_for

PAGE_SIZE = 100
FILTERS = ("all", "mine", "unallocated")
_TABLE = cast(Table, TutorAllocation.__table__)


class TutorRefused(ValueError):  # noqa: N818 - a refusal, named for what happened
    """Why an allocation was not made, with the HTTP status that says so."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def can_allocate_tutors(grant: CourseGrant) -> bool:
    """Staff of the course allocate tutors and see who tutors whom; nobody else does."""
    return grant.is_staff


def _require_staff(grant: CourseGrant) -> None:
    if not can_allocate_tutors(grant):
        raise TutorRefused("Only the course's staff can allocate tutors.", 403)


# -- reading -----------------------------------------------------------------------------------
def current_tutor_ids(
    session: Session, course_id: int, student_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Each student's current tutor, by student id (all of the course's when none are named);
    one query."""
    query = select(TutorAllocation.student_id, TutorAllocation.tutor_id).where(
        TutorAllocation.course_id == course_id, TutorAllocation.ended_at.is_(None)
    )
    if student_ids is not None:
        ids = sorted(set(student_ids))
        if not ids:
            return {}
        query = query.where(TutorAllocation.student_id.in_(ids))
    return {int(student): int(tutor) for student, tutor in session.execute(query).all()}


def tutee_ids(session: Session, course_id: int, tutor_id: int) -> set[int]:
    """The students this staff member currently tutors."""
    return set(
        session.scalars(
            select(TutorAllocation.student_id).where(
                TutorAllocation.course_id == course_id,
                TutorAllocation.tutor_id == tutor_id,
                TutorAllocation.ended_at.is_(None),
            )
        )
    )


def tutor_card_for(session: Session, course_id: int, student_id: int) -> AuthorCard | None:
    """The student's current tutor as the student sees them, while that tutor is still active
    staff of the course; one query."""
    tutor = aliased(Membership)
    row = session.execute(
        select(Person, StaffProfile)
        .select_from(TutorAllocation)
        .join(Person, Person.id == TutorAllocation.tutor_id)
        .join(tutor, _active_staff(tutor, TutorAllocation.course_id, Person.id))
        .outerjoin(
            StaffProfile,
            (StaffProfile.course_id == course_id) & (StaffProfile.person_id == Person.id),
        )
        .where(
            TutorAllocation.course_id == course_id,
            TutorAllocation.student_id == student_id,
            TutorAllocation.ended_at.is_(None),
        )
    ).first()
    return card_for(row[0], CourseRole.STAFF, row[1]) if row else None


@dataclass(frozen=True)
class TutorSpell:
    """One tutor's time with a student."""

    tutor_id: int
    tutor_name: str
    assigned_at: datetime
    ended_at: datetime | None
    assigned_by: str | None


def history(session: Session, course_id: int, student_id: int) -> list[TutorSpell]:
    """Who tutored the student, from when until when, and who chose them; newest first."""
    tutor, chooser = aliased(Person), aliased(Person)
    rows = session.execute(
        select(TutorAllocation, tutor, chooser)
        .join(tutor, tutor.id == TutorAllocation.tutor_id)
        .outerjoin(chooser, chooser.id == TutorAllocation.assigned_by_id)
        .where(TutorAllocation.course_id == course_id, TutorAllocation.student_id == student_id)
        .order_by(TutorAllocation.assigned_at.desc(), TutorAllocation.id.desc())
    ).all()
    return [
        TutorSpell(
            tutor_id=row.tutor_id,
            tutor_name=person.name_as("Staff"),
            assigned_at=row.assigned_at,
            ended_at=row.ended_at,
            assigned_by=by.name_as("Staff") if by else None,
        )
        for row, person, by in rows
    ]


@dataclass(frozen=True)
class StudentHistory:
    course: Course
    student_id: int
    student_name: str
    spells: list[TutorSpell]


def history_page(session: Session, grant: CourseGrant, student_id: int) -> StudentHistory | None:
    """A student's tutors over time, for staff; None when they are nobody in this course."""
    _require_staff(grant)
    course = session.get(Course, grant.course_id)
    person = session.scalar(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == grant.course_id, Person.id == student_id)
    )
    if course is None or person is None:
        return None
    spells = history(session, grant.course_id, student_id)
    return StudentHistory(course, person.id, person.name_as("Student"), spells)


# -- allocating by hand ------------------------------------------------------------------------
def allocate(
    session: Session, grant: CourseGrant, student_id: int, tutor_id: int | None, now: datetime
) -> None:
    """Make `tutor_id` the student's tutor (None: no tutor); the old allocation is ended, not
    deleted. Both must be active in *this* course: a student, and a member of staff."""
    _require_staff(grant)
    course_id = grant.course_id
    wanted = {student_id} if tutor_id is None else {student_id, tutor_id}
    roles = dict(
        session.execute(
            select(Membership.person_id, Membership.role).where(
                Membership.course_id == course_id,
                Membership.active.is_(True),
                Membership.person_id.in_(wanted),
            )
        ).all()
    )
    if roles.get(student_id) != CourseRole.STUDENT:
        raise TutorRefused("That person is not a student of this course.")
    if tutor_id is not None and roles.get(tutor_id) != CourseRole.STAFF:
        raise TutorRefused("A tutor must be one of this course's staff.")
    # A second pass only when a concurrent allocation committed between our read and insert.
    for _attempt in range(2):
        current = session.execute(
            select(TutorAllocation.id, TutorAllocation.tutor_id).where(
                TutorAllocation.course_id == course_id,
                TutorAllocation.student_id == student_id,
                TutorAllocation.ended_at.is_(None),
            )
        ).first()
        if (current.tutor_id if current else None) == tutor_id:
            return
        if current:
            _end_rows(session, [current.id], now)
        if tutor_id is None:
            return
        row = _row(course_id, student_id, tutor_id, grant.person_id, now)
        if _insert_current(session, [row]) == 1:
            return
    raise TutorRefused("Someone else changed this student's tutor just now; try again.", 409)


def _row(course_id: int, student: int, tutor: int, by: int, now: datetime) -> dict[str, Any]:
    return {
        "course_id": course_id,
        "student_id": student,
        "tutor_id": tutor,
        "assigned_by_id": by,
        "assigned_at": now,
        "ended_at": None,
    }


def _end_rows(session: Session, row_ids: list[int], now: datetime) -> None:
    """End these current allocations; one statement (executemany) however many."""
    if not row_ids:
        return
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.execute(statement, [{"row_id": row_id} for row_id in row_ids])


def _insert_current(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert new current allocations, skipping students a concurrent writer gave a current
    one first; how many were inserted. One statement (executemany)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    result = session.execute(insert(_TABLE).on_conflict_do_nothing(), rows)
    count = getattr(result, "rowcount", -1)
    sane = len(rows) == 1 or dialect.supports_sane_multi_rowcount
    return int(count) if sane and count >= 0 else len(rows)


# -- balancing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BalanceResult:
    changes: dict[int, int]  # student id → new tutor id, for each student whose tutor changed
    loads: dict[int, int]  # each chosen tutor's tutees afterwards
    skipped: int = 0  # planned changes a concurrent allocation got to first

    @property
    def count(self) -> int:
        return len(self.changes) - self.skipped


def balance(
    session: Session,
    grant: CourseGrant,
    now: datetime,
    by_section: bool,
    tutor_ids: list[int] | None = None,
    only_unallocated: bool = True,
) -> BalanceResult:
    """Give students a tutor among `tutor_ids` (default: all active staff) so that loads end as
    even as they can; see `plan_balance` for the rule. At most four statements for any course
    size: the course's people, the current allocations, one UPDATE and one INSERT (executemany)."""
    _require_staff(grant)
    course_id = grant.course_id
    members = session.execute(
        select(Membership.person_id, Membership.role, Membership.section).where(
            Membership.course_id == course_id,
            Membership.active.is_(True),
            Membership.role.in_([CourseRole.STUDENT, CourseRole.STAFF]),
        )
    ).all()
    staff = {m.person_id: m.section for m in members if m.role == CourseRole.STAFF}
    students = {m.person_id: m.section for m in members if m.role == CourseRole.STUDENT}
    chosen = sorted(staff) if tutor_ids is None else sorted(set(tutor_ids))
    if not chosen:
        raise TutorRefused("Choose at least one tutor to share the students between.")
    if any(tutor not in staff for tutor in chosen):
        raise TutorRefused("Tutors must be active staff of this course.")
    current_rows = {
        row.student_id: row
        for row in session.execute(
            select(TutorAllocation.id, TutorAllocation.student_id, TutorAllocation.tutor_id).where(
                TutorAllocation.course_id == course_id, TutorAllocation.ended_at.is_(None)
            )
        )
    }
    plan = plan_balance(
        students,
        {tutor: staff[tutor] for tutor in chosen},
        {student: row.tutor_id for student, row in current_rows.items()},
        staff.keys(),
        by_section=by_section,
        only_unallocated=only_unallocated,
    )
    _end_rows(session, [current_rows[s].id for s in sorted(plan) if s in current_rows], now)
    rows = [_row(course_id, s, plan[s], grant.person_id, now) for s in sorted(plan)]
    inserted = _insert_current(session, rows)
    loads = Counter(
        tutor
        for student, tutor in {
            **{s: r.tutor_id for s, r in current_rows.items()},
            **plan,
        }.items()
        if student in students
    )
    return BalanceResult(plan, {t: loads[t] for t in chosen}, len(rows) - inserted)


@dataclass
class _Loads:
    """Who each tutor has, while a plan is being made."""

    tutors: Mapping[int, str | None]
    sections: Mapping[int, str | None]  # student → section
    of: dict[int, int] = field(default_factory=dict)  # student → tutor
    load: Counter[int] = field(default_factory=Counter)
    per_section: Counter[tuple[int, str | None]] = field(default_factory=Counter)
    tutees: dict[int, set[int]] = field(default_factory=dict)  # tutor → students

    def give(self, student: int, tutor: int) -> None:
        old = self.of.get(student)
        if old is not None:
            self.load[old] -= 1
            self.per_section[(old, self.sections[student])] -= 1
            self.tutees[old].discard(student)
        self.of[student] = tutor
        self.load[tutor] += 1
        self.per_section[(tutor, self.sections[student])] += 1
        self.tutees.setdefault(tutor, set()).add(student)


def plan_balance(
    students: Mapping[int, str | None],
    tutors: Mapping[int, str | None],
    current: Mapping[int, int],
    active_staff: Collection[int],
    *,
    by_section: bool,
    only_unallocated: bool,
) -> dict[int, int]:
    """Which students get which tutor: student id → tutor id, for changes only.

    `students` and `tutors` map ids to LMS sections. The rule, step by step:

    1. Who may tutor whom: anyone chosen; with `by_section`, a student whose section has chosen
       staff who launched from that same section goes only to those staff.
    2. Who keeps their tutor: with `only_unallocated`, everyone whose tutor is still active
       staff (chosen or not); otherwise everyone whose tutor is chosen and may tutor them.
       Kept students count in their tutor's load.
    3. The others, in order — students with a section-bound tutor first, then by section name
       (no section last), then by id — each go to the tutor they may have with the fewest
       tutees, then the fewest from their section, then the lowest id.
    4. Without `only_unallocated`, while some tutor has two or more tutees more than another
       who may take one of them, one moves: preferably one placed in step 3, else the one
       who joined latest (highest id). Loads end within one of each other wherever sections
       allow, moving as few students as that takes.
    """
    everyone = sorted(tutors)
    bound: dict[str, list[int]] = {}
    if by_section:
        for tutor in everyone:
            section = tutors[tutor]
            if section:
                bound.setdefault(section, []).append(tutor)

    def allowed(student: int) -> list[int]:
        section = students[student]
        return bound.get(section, everyone) if section else everyone

    state = _Loads(tutors, students)
    pool: list[int] = []
    for student in sorted(students):
        had = current.get(student)
        if had is not None and only_unallocated and had in active_staff:
            if had in tutors:
                state.give(student, had)
            continue
        if had is not None and not only_unallocated and had in allowed(student):
            state.give(student, had)
            continue
        pool.append(student)
    placed = set(pool)
    pool.sort(key=lambda s: (students[s] not in bound, students[s] is None, students[s] or "", s))
    for student in pool:
        section = students[student]
        best = min(
            allowed(student), key=lambda t: (state.load[t], state.per_section[(t, section)], t)
        )
        state.give(student, best)
    if not only_unallocated:
        while move := _evening_move(state, everyone, allowed, placed):
            state.give(*move)
            placed.add(move[0])
    return {
        student: tutor
        for student, tutor in state.of.items()
        if student in placed and current.get(student) != tutor
    }


def _evening_move(
    state: _Loads,
    everyone: list[int],
    allowed: Callable[[int], list[int]],
    placed: set[int],
) -> tuple[int, int] | None:
    """A (student, new tutor) that narrows the gap between two tutors' loads, or None."""
    givers = sorted(everyone, key=lambda t: (-state.load[t], t))
    takers = sorted(everyone, key=lambda t: (state.load[t], t))
    for giver in givers:
        theirs = sorted(state.tutees.get(giver, ()), key=lambda s: (s not in placed, -s))
        for taker in takers:
            if state.load[giver] - state.load[taker] < 2:
                break
            for student in theirs:
                if taker in allowed(student):
                    return student, taker
    return None


# -- the staff page ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StudentRow:
    student_id: int
    name: str
    email: str | None
    section: str | None
    tutor_id: int | None  # the current allocation, even if that tutor has left the course
    tutor_name: str | None
    tutor_active: bool
    since: datetime | None


@dataclass(frozen=True)
class TutorLoad:
    person_id: int
    name: str
    section: str | None
    role_title: str | None
    tutees: int


@dataclass(frozen=True)
class TutorsPage:
    course: Course
    show: str
    rows: list[StudentRow]
    staff: list[TutorLoad]
    page: int
    pages: int
    counts: dict[str, int]  # students in all, mine, without a tutor
    with_section: int  # students whose launch named an LMS section

    @property
    def total(self) -> int:
        return self.counts[self.show]


def _active_staff(member: Any, course_id: Any, person_id: Any) -> Any:
    return and_(
        member.course_id == course_id,
        member.person_id == person_id,
        member.active.is_(True),
        member.role == CourseRole.STAFF,
    )


def _name_order(person: Any) -> Any:
    return func.lower(
        func.coalesce(person.name, person.family_name, person.given_name, person.email, "~")
    )


def allocation_page(session: Session, grant: CourseGrant, show: str, page: int) -> TutorsPage:
    """One page of the course's active students with their tutors, the staff with their loads,
    and how many students each filter shows; four queries for any course size."""
    _require_staff(grant)
    if show not in FILTERS:
        raise TutorRefused("Show all, mine or unallocated students.")
    course = session.get(Course, grant.course_id)
    if course is None:
        raise TutorRefused("This course is not known here.", 404)
    tutor, tutor_member = aliased(Person), aliased(Membership)
    students = (
        select()
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(
            TutorAllocation,
            and_(
                TutorAllocation.course_id == Membership.course_id,
                TutorAllocation.student_id == Membership.person_id,
                TutorAllocation.ended_at.is_(None),
            ),
        )
        .outerjoin(
            tutor_member,
            _active_staff(tutor_member, Membership.course_id, TutorAllocation.tutor_id),
        )
        .where(
            Membership.course_id == course.id,
            Membership.active.is_(True),
            Membership.role == CourseRole.STUDENT,
        )
    )
    mine = TutorAllocation.tutor_id == grant.person_id
    unallocated = tutor_member.id.is_(None)
    totals = session.execute(
        students.add_columns(
            func.count(),
            func.coalesce(func.sum(case((mine, 1), else_=0)), 0),
            func.coalesce(func.sum(case((unallocated, 1), else_=0)), 0),
            func.count(Membership.section),
        )
    ).one()
    counts = {"all": int(totals[0]), "mine": int(totals[1]), "unallocated": int(totals[2])}
    pages = max(1, -(-counts[show] // PAGE_SIZE))
    page = min(max(1, page), pages)
    chosen = {
        "all": students,
        "mine": students.where(mine),
        "unallocated": students.where(unallocated),
    }[show]
    rows = session.execute(
        chosen.add_columns(
            Person,
            Membership.section,
            TutorAllocation.tutor_id,
            TutorAllocation.assigned_at,
            tutor,
            tutor_member.id,
        )
        .outerjoin(tutor, tutor.id == TutorAllocation.tutor_id)
        .order_by(_name_order(Person), Person.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return TutorsPage(
        course=course,
        show=show,
        rows=[
            StudentRow(
                student_id=person.id,
                name=person.name_as("Student"),
                email=person.email,
                section=section,
                tutor_id=tutor_id,
                tutor_name=tutor_person.name_as("Staff") if tutor_person else None,
                tutor_active=member_id is not None,
                since=since,
            )
            for person, section, tutor_id, since, tutor_person, member_id in rows
        ],
        staff=_staff_loads(session, course.id),
        page=page,
        pages=pages,
        counts=counts,
        with_section=int(totals[3]),
    )


def _staff_loads(session: Session, course_id: int) -> list[TutorLoad]:
    """Active staff, by name, with how many active students each tutors; one query."""
    student = aliased(Membership)
    loads = (
        select(TutorAllocation.tutor_id, func.count().label("tutees"))
        .join(
            student,
            and_(
                student.course_id == TutorAllocation.course_id,
                student.person_id == TutorAllocation.student_id,
                student.active.is_(True),
                student.role == CourseRole.STUDENT,
            ),
        )
        .where(TutorAllocation.course_id == course_id, TutorAllocation.ended_at.is_(None))
        .group_by(TutorAllocation.tutor_id)
        .subquery()
    )
    rows = session.execute(
        select(Person, Membership.section, StaffProfile.role_title, loads.c.tutees)
        .join(Membership, _active_staff(Membership, course_id, Person.id))
        .outerjoin(
            StaffProfile,
            (StaffProfile.course_id == course_id) & (StaffProfile.person_id == Person.id),
        )
        .outerjoin(loads, loads.c.tutor_id == Person.id)
        .order_by(_name_order(Person), Person.id)
    ).all()
    return [
        TutorLoad(person.id, person.name_as("Staff"), section, title, int(tutees or 0))
        for person, section, title, tutees in rows
    ]
