"""Editing a feedback message already sent: its author may, for ten minutes
(`viewers.can_edit_message`). The edited words of a message that gave a grade go to the LMS
gradebook again beside that grade, unless a later message of the thread has given a newer one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import lazy_gettext
from lti_tool.models import FeedbackMessage, FeedbackThread, Placement
from lti_tool.services.feedback.service import (
    FeedbackRefused,
    clean_body,
    not_found,
    readable_thread,
    refuse_if_erased,
    send_grade,
)
from lti_tool.services.feedback.viewers import Viewer, can_edit_message
from lti_tool.services.markup import render_markdown

EDIT_REFUSED = lazy_gettext("A message can be edited by its author for ten minutes.")


def edit_message(
    session: Session, viewer: Viewer, message_id: int, body: str, now: datetime
) -> FeedbackMessage:
    message = session.get(FeedbackMessage, message_id)
    if message is None:
        raise not_found()
    thread = readable_thread(session, viewer, message.thread_id)
    refuse_if_erased(session, thread)
    if not can_edit_message(viewer, message, now):
        raise FeedbackRefused(403, EDIT_REFUSED)
    text = clean_body(body, required=message.score_given is None)
    if text != message.body:
        message.body = text
        message.body_html = render_markdown(text) if text else ""
        message.edited_at = now
        placement = session.get(Placement, thread.placement_id) if thread.placement_id else None
        if (
            message.score_given is not None
            and placement is not None
            and _latest_grade(session, thread, message)
        ):
            # The gradebook shows the grade's words: the edited words go after them.
            send_grade(session, thread, placement, message.score_given, text, now)
    session.flush()
    return message


def _latest_grade(session: Session, thread: FeedbackThread, message: FeedbackMessage) -> bool:
    """Whether no later message of the thread gave a grade (which the gradebook shows now)."""
    later = session.scalar(
        select(FeedbackMessage.id)
        .where(
            FeedbackMessage.thread_id == thread.id,
            FeedbackMessage.score_given.is_not(None),
            FeedbackMessage.id > message.id,
        )
        .limit(1)
    )
    return later is None
