"""The dashboard's medians are read by skipping to the middle of the values in order (issue 15):
the middle one of an odd count, the two middle ones of an even count, nothing of none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import StaffAnswer
from lti_tool.services.dashboard.service import _middle, _span_median
from tests.conftest import state
from tests.services.dashboard.summary_events import make_world

NOW = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("waits", "median"),
    [([], None), ([7], 7), ([9, 1], 5), ([5, 1, 3], 3), ([8, 2, 6, 4], 5), ([4, 1, 9, 9, 2], 4)],
)
def test_the_median_reply_time_is_the_middle_of_the_answers(app, waits, median):
    sessions = state(app).sessions
    world = make_world(sessions)
    with transaction(sessions) as session:
        student = world.ids["Ada"]
        session.add_all(
            StaffAnswer(
                course_id=world.course,
                student_id=student,
                asked_at=NOW - timedelta(hours=hours),
                answered_at=NOW,
                waited_seconds=hours * 3600,
            )
            for hours in waits
        )
    with sessions() as session:
        answers = select(StaffAnswer.waited_seconds).where(StaffAnswer.course_id == world.course)
        middle = _middle(session, answers, StaffAnswer.waited_seconds, len(waits))
        found = _span_median([timedelta(seconds=s) for s in middle])
    assert found == (None if median is None else timedelta(hours=median))


def test_a_search_is_one_like_pattern_per_word_with_like_s_own_characters_escaped():
    from lti_tool.services.dashboard.rows import search_patterns

    assert search_patterns("  Ana 50%_a/b ") == ["%ana%", "%50/%/_a//b%"]
    assert search_patterns("") == []
