"""The newsfeed's options on the course settings page: replies, reactions, student introductions.

The newsfeed reads them with `course_settings(session, course_id)[REPLIES]` and so on.
"""

from __future__ import annotations

from lti_tool.i18n import lazy_gettext
from lti_tool.services.course_settings import SettingSpec, register_setting

# A key as well as a heading: the settings page groups and orders the options by it, so it
# stays English here (the course navigation's "Newsfeed" is the same message translated).
FEATURE = "Newsfeed"

REPLIES = register_setting(
    SettingSpec(
        key="newsfeed.replies",
        feature=FEATURE,
        label=lazy_gettext("Replies"),
        help=lazy_gettext(
            "People can reply under posts (“Say hello” under an introduction); when off, "
            "nobody can, and replies already written stay."
        ),
        default=True,
    )
).key

REACTIONS = register_setting(
    SettingSpec(
        key="newsfeed.reactions",
        feature=FEATURE,
        label=lazy_gettext("Reactions"),
        help=lazy_gettext("Students can react to a post with one click, without writing a reply."),
        default=True,
    )
).key

STUDENT_INTRODUCTIONS = register_setting(
    SettingSpec(
        key="newsfeed.student_introductions",
        feature=FEATURE,
        label=lazy_gettext("Student introductions"),
        help=lazy_gettext(
            "Students may post a short introduction of their own, visible to everyone in the "
            "course."
        ),
        default=True,
    )
).key
