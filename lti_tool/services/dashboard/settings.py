"""The relationship dashboard's option on the course settings page: the contact goal."""

from __future__ import annotations

from lti_tool.i18n import lazy_gettext
from lti_tool.services.course_settings import SettingSpec, register_setting

GOAL_DAYS = register_setting(
    SettingSpec(
        key="contact.goal_days",
        feature="Contact",
        label=lazy_gettext("Contact goal (days)"),
        help=lazy_gettext(
            "Every student should hear personally from someone on the course team at least "
            "this often; the dashboard shows who has not."
        ),
        default=14,
        kind="int",
        minimum=1,
        maximum=120,
    )
).key
