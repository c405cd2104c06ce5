"""A grade given in a feedback thread reaches the demo LMS's gradebook with its message.

Issue 16: "a grade given in a feedback thread is sent with its comment (AGS `comment`), so the
LMS gradebook shows the feedback text beside the grade". The demo LMS signs its tokens and
serves AGS as Moodle does; its gradebook page shows what each score carried. The comment is
plain text (platforms differ in whether they render it as HTML) and bounded in length.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import FeedbackMessage
from lti_tool.services.grades.service import MAX_COMMENT_CHARS
from tests.conftest import state
from tests.functional.feedback.test_grades import GradedThread, graded
from tests.functional.grades.test_demo import gradebook_text, worker_for

__all__ = ["graded"]  # the fixture, shared with the feedback thread's grade tests


def sent_comments(thread: GradedThread) -> list[str | None]:
    worker_for(thread.app).drain()
    (item,) = thread.demo.store.line_items(thread.demo.course.context_id)
    return [s.comment for s in thread.demo.store.scores(item.number)]


def test_the_gradebook_shows_the_feedback_beside_the_grade_as_plain_text(graded: Any) -> None:
    body = "**Well argued.** See <b>section 2</b> and [the notes](https://example.org/n)."
    assert graded.grade("8", body).status_code == 303
    assert sent_comments(graded) == ["Well argued. See section 2 and the notes."]
    text = gradebook_text(graded.staff.http, graded.url)
    assert "Amara Okafor 8 / 10" in text
    assert "“Well argued. See section 2 and the notes.”" in text


def test_a_long_message_is_cut_short_and_a_grade_alone_carries_no_comment(graded: Any) -> None:
    assert graded.grade("6", "Thorough work on the method. " * 200).status_code == 303
    (comment,) = sent_comments(graded)
    assert comment is not None and len(comment) <= MAX_COMMENT_CHARS
    assert comment.startswith("Thorough work on the method.") and comment.endswith("…")
    assert graded.grade("7").status_code == 303
    assert sent_comments(graded) == [None]  # the regrade replaced the score and its comment


def test_editing_the_graded_message_sends_its_new_words_to_the_gradebook(graded: Any) -> None:
    assert graded.grade("8", "Good strucutre.").status_code == 303
    assert sent_comments(graded) == ["Good strucutre."]
    with transaction(state(graded.app).sessions) as session:
        message_id = session.scalars(
            select(FeedbackMessage.id).where(FeedbackMessage.score_given.is_not(None))
        ).one()
    edited = graded.staff.post(f"feedback/messages/{message_id}/edit", {"body": "Good structure."})
    assert edited.status_code == 303
    assert sent_comments(graded) == ["Good structure."]
    assert graded.in_gradebook() == [8.0]  # the same grade, with the corrected words
