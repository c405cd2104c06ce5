"""The feedback threads' options on the course settings page."""

from __future__ import annotations

from lti_tool.i18n import lazy_gettext
from lti_tool.services.course_settings import SettingSpec, register_setting

ALL_STAFF = "all_staff"
TUTOR_AND_INSTRUCTORS = "tutor_and_instructors"

VISIBILITY = register_setting(
    SettingSpec(
        key="feedback.visibility",
        feature="Feedback",
        label=lazy_gettext("Who reads a student's feedback threads"),
        help=lazy_gettext(
            "All staff of the course, or only the student's personal tutor and the course's "
            "instructors (teaching assistants who are not the tutor then do not see them)."
        ),
        default=ALL_STAFF,
        kind="choice",
        choices=(
            (ALL_STAFF, lazy_gettext("All staff of the course")),
            (TUTOR_AND_INSTRUCTORS, lazy_gettext("The student's tutor and the instructors")),
        ),
    )
).key

STUDENTS_START = register_setting(
    SettingSpec(
        key="feedback.students_start",
        feature="Feedback",
        label=lazy_gettext("Students can start a conversation"),
        help=lazy_gettext(
            "Students can write first to their personal tutor (or to the course team when "
            "they have none), from their tutor's card and their Feedback page. When off, only "
            "staff start conversations and students answer in them."
        ),
        default=True,
    )
).key
