"""The newsfeed's options on the course settings page: replies, reactions, student introductions.

The newsfeed reads them with `course_settings(session, course_id)[REPLIES]` and so on.
"""

from __future__ import annotations

from lti_tool.services.course_settings import SettingSpec, register_setting

FEATURE = "Newsfeed"

REPLIES = register_setting(
    SettingSpec(
        key="newsfeed.replies",
        feature=FEATURE,
        label="Replies",
        help="People can reply under posts (“Say hello” under an introduction); when off, "
        "nobody can, and replies already written stay.",
        default=True,
    )
).key

REACTIONS = register_setting(
    SettingSpec(
        key="newsfeed.reactions",
        feature=FEATURE,
        label="Reactions",
        help="Students can react to a post with one click, without writing a reply.",
        default=True,
    )
).key

STUDENT_INTRODUCTIONS = register_setting(
    SettingSpec(
        key="newsfeed.student_introductions",
        feature=FEATURE,
        label="Student introductions",
        help="Students may post a short introduction of their own, visible to everyone in the "
        "course.",
        default=True,
    )
).key
