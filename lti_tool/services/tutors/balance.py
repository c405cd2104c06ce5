"""Balancing tutors: share a course's students between chosen staff so loads end even.

Staff pick the tutors and a scope. With "only unallocated", students whose tutor is still
active staff keep them and only the rest are placed; with "everyone", a student keeps a tutor
only if that tutor was chosen (and may tutor them), and students then move until no chosen
tutor has two or more tutees more than another who may take one. Each student placed goes to
the allowed tutor with the fewest tutees, then the fewest from their section, then the lowest
id. Optionally an LMS section (LIS claim `course_section_sourcedid`, LTI 1.3 Core §5.4.5) stays
with the staff who launched from it. `plan_balance` states the rule step by step and is pure
(ids and sections in, changes out); `balance` reads the course and writes the plan with the
shared writers in `service`, so a concurrent allocation is skipped, never overwritten.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import Membership, TutorAllocation
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.refusals import Refused
from lti_tool.services.tutors import audit
from lti_tool.services.tutors.service import (
    allocation_row,
    end_allocations,
    insert_current,
    require_staff,
)


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
    even as they can; see `plan_balance` for the rule. At most five statements for any course
    size: the course's people, the current allocations, one UPDATE and one INSERT (executemany),
    and the entry in the course's activity log."""
    require_staff(grant)
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
        raise Refused(400, _("Choose at least one tutor to share the students between."))
    if any(tutor not in staff for tutor in chosen):
        raise Refused(400, _("Tutors must be active staff of this course."))
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
    end_allocations(session, [current_rows[s].id for s in sorted(plan) if s in current_rows], now)
    rows = [allocation_row(course_id, s, plan[s], grant.person_id, now) for s in sorted(plan)]
    inserted = insert_current(session, rows)
    loads = Counter(
        tutor
        for student, tutor in {
            **{s: r.tutor_id for s, r in current_rows.items()},
            **plan,
        }.items()
        if student in students
    )
    result = BalanceResult(plan, {t: loads[t] for t in chosen}, len(rows) - inserted)
    if result.count:
        audit.tutors_balanced(
            session, grant, chosen, result.count, only_unallocated, by_section, now
        )
    return result


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
