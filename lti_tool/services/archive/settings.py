"""The course's end and grace period on the course settings page (`services/course_settings.py`).

An end date set here wins over the one the LMS sends at launch (`rules.course_end`).
"""

from __future__ import annotations

from lti_tool.i18n import lazy_gettext
from lti_tool.services.course_settings import SettingSpec, register_setting

FEATURE = "Course"
DEFAULT_GRACE_DAYS = 14

END_DATE = register_setting(
    SettingSpec(
        key="course.end_date",
        feature=FEATURE,
        label=lazy_gettext("Course end date"),
        help=lazy_gettext(
            "The last day of the course, in the course's time zone. Empty: the end date the "
            "LMS sends, if it sends one (Canvas does). After the end and the grace period "
            "below, students can read everything here but no longer write."
        ),
        default="",
        kind="date",
    )
).key

GRACE_DAYS = register_setting(
    SettingSpec(
        key="course.grace_days",
        feature=FEATURE,
        label=lazy_gettext("Days students can still write after the end"),
        help=lazy_gettext(
            "Time to answer a last message or check-in once the course has ended; staff can "
            "always read and write."
        ),
        default=DEFAULT_GRACE_DAYS,
        kind="int",
        minimum=0,
        maximum=365,
    )
).key
