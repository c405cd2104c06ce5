"""A course read only for its students, for the whole app: every route and method of the
authorization table (tests/functional/test_authorization.py), tried by every kind of member of
the course once it has ended and its grace period is over, over real launches and HTTP.

Students (and a TA the LMS demoted to Learner) are refused every form with the read-only page
and nothing is written, except their choice of email; a page that would start something for
them (a placed feedback activity they have no conversation for yet) is refused too. Everything
else answers as it did while the course ran: students still read, staff still read and write.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import CourseSetting
from lti_tool.services.archive.rules import READ_ONLY
from lti_tool.services.archive.settings import END_DATE
from tests.conftest import state
from tests.functional.test_authorization import (
    ENTRIES,
    INSIDE,
    READ_RECEIPTS,
    World,
    _answer,
    _path,
    _writes,
    world,  # noqa: F401 (the fixture)
)

STUDENTS = ("student", "classmate", "demoted")  # "demoted": a TA the LMS now calls a Learner
OPEN_AFTER_END = {("notifications.preferences", "POST")}  # which mail they get stays theirs
# Opening a placed feedback activity starts a student's conversation about it: Amara has one
# (she reads it), Ben has none (and may no longer start it).
STARTS_SOMETHING = {("feedback.activity", "GET"): ("classmate", "demoted")}


def closed_to(endpoint: str, method: str, visitor: str) -> bool:
    """Whether the read-only course refuses this visitor this route."""
    route = (endpoint, method)
    writes = method == "POST" and route not in OPEN_AFTER_END
    return visitor in STUDENTS and (writes or visitor in STARTS_SOMETHING.get(route, ()))


@pytest.fixture
def ended(world: World) -> World:  # noqa: F811
    """Course A ended on 1 January; its default 14 days of grace are over by the 25th."""
    with transaction(state(world.app).sessions) as session:
        session.add(CourseSetting(course_id=world.course, key=END_DATE, value="2027-01-01"))
    jobs(world.app).run_pending()  # what the launches queued is not any cell's doing
    return world


def test_an_ended_course_is_read_only_for_students_and_not_for_staff(ended: World):
    app = ended.app
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    cells: list[tuple[Any, ...]] = []
    tried = refused = 0
    for (endpoint, method), entry in sorted(ENTRIES.items()):
        if entry.public:
            continue
        for visitor in (*INSIDE, "demoted"):
            n = next(ended.serial)
            path = _path(rules[endpoint], ended.course, entry.target(ended))
            with _writes(app) as written:
                response = _answer(ended, visitor, method, path, entry.form(ended, n))
                jobs(app).run_pending()
            read_only = closed_to(endpoint, method, visitor)
            want = 403 if read_only else entry.expected(visitor, method)
            got: int | str = response.status_code
            if isinstance(want, str) and got == 200:
                got = "200" if entry.marker and entry.marker in response.text else "200-"
            effects = written - READ_RECEIPTS
            said = " ".join(re.sub(r"<[^>]+>", " ", response.text).split())
            problems = []
            if got != want:
                problems.append(f"answered {got}, not {want}")
            if response.status_code >= 400 and effects:
                problems.append(f"refused but wrote {sorted(effects)}")
            if read_only and str(READ_ONLY) not in said:
                problems.append("without the read-only page")
            if problems:
                cells.append((f"{method} {endpoint}", visitor, path, problems, said[-400:]))
            tried += 1
            refused += read_only
    assert cells == [], "\n".join(map(str, cells))
    assert tried >= 69 * 6 and refused >= 31 * 3 + 2  # every form students had, 3 of them
