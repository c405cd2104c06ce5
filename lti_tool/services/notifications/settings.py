"""The notifications' option on the course settings page."""

from __future__ import annotations

from lti_tool.i18n import lazy_gettext
from lti_tool.services.course_settings import SettingSpec, register_setting

FEATURE = "Notifications"  # the group's key; its heading is course_settings.FEATURE_TITLES's

QUOTE = register_setting(
    SettingSpec(
        key="notifications.quote",
        feature=FEATURE,
        label=lazy_gettext("Quote messages in email"),
        help=lazy_gettext(
            "Off: an email says who wrote and links to the course in the LMS, and private "
            "words stay there. On: the email quotes the message too."
        ),
        default=False,
    )
).key
