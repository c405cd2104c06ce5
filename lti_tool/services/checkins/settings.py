"""The check-ins' defaults on the course settings page: what a new check-in starts with."""

from __future__ import annotations

from lti_tool.services.course_settings import SettingSpec, register_setting

FEATURE = "Check-ins"

QUESTION_PRESETS: dict[str, tuple[str, str, str]] = {
    # key: (the 1 to 5 question, words under 1, words under 5)
    "confidence": ("How confident do you feel about this week's work?", "Lost", "On top of it"),
    "workload": ("How manageable was this week's workload?", "Far too much", "Just right"),
    "wellbeing": ("How are you doing overall?", "Not well", "Really well"),
}

QUESTIONS = register_setting(
    SettingSpec(
        key="checkins.questions",
        feature=FEATURE,
        label="Question a new check-in starts with",
        help="The 1 to 5 question filled in on a new check-in; staff can change it there.",
        default="confidence",
        kind="choice",
        choices=tuple((key, preset[0]) for key, preset in QUESTION_PRESETS.items()),
    )
).key

REPEAT = register_setting(
    SettingSpec(
        key="checkins.repeat",
        feature=FEATURE,
        label="How often a new check-in repeats",
        help="Weekly check-ins catch a student drifting before a fortnight has gone by.",
        default="7",
        kind="choice",
        choices=(("0", "Once"), ("7", "Every week"), ("14", "Every two weeks")),
    )
).key

COUNT = register_setting(
    SettingSpec(
        key="checkins.count",
        feature=FEATURE,
        label="How many times a new check-in opens",
        help="Usually the number of teaching weeks.",
        default=10,
        kind="int",
        minimum=1,
        maximum=52,
    )
).key

OPEN_HOURS = register_setting(
    SettingSpec(
        key="checkins.open_hours",
        feature=FEATURE,
        label="Hours a check-in stays open",
        help="72 hours gives students who study at weekends or after work a fair chance.",
        default=72,
        kind="int",
        minimum=1,
        maximum=336,
    )
).key

ANONYMOUS = register_setting(
    SettingSpec(
        key="checkins.anonymous",
        feature=FEATURE,
        label="New check-ins are anonymous",
        help="Anonymous answers show staff totals only: nobody can follow them up personally.",
        default=False,
    )
).key

GRADED = register_setting(
    SettingSpec(
        key="checkins.graded",
        feature=FEATURE,
        label="New check-ins grade participation",
        help="Students earn points in the LMS gradebook for each check-in they answer.",
        default=False,
    )
).key

POINTS = register_setting(
    SettingSpec(
        key="checkins.points",
        feature=FEATURE,
        label="Points for answering every check-in",
        help="Shared evenly between the times a check-in opens.",
        default=10,
        kind="int",
        minimum=1,
        maximum=1000,
    )
).key
