"""Rapport's own words inside a check-in: the offer to talk, a question every check-in may ask.

Its words are stored with the check-in's questions in English (as `service.questions_from`
writes them) and shown in the reader's language; staff's own questions are shown as they wrote
them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lti_tool.i18n import lazy_gettext, speaking

TALK_PROMPT = lazy_gettext("I'd like to talk to someone on the course team")


def stored_talk_prompt() -> str:
    """The offer to talk as a check-in stores it: in English."""
    with speaking("en"):
        return str(TALK_PROMPT)


def shown_prompt(question: Mapping[str, Any]) -> str:
    """A question's words for the reader: staff's as they wrote them, the offer to talk in the
    reader's language."""
    prompt = str(question.get("prompt") or question.get("id") or "")
    if question.get("kind") == "talk" and prompt == stored_talk_prompt():
        return str(TALK_PROMPT)
    return prompt
