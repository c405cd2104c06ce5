"""The staff People page costs the same few queries for a course of any size."""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import event

from lti_tool.jobs import jobs
from tests.conftest import register, state
from tests.functional.roster.test_roster import course_path, launch, roster_of
from tests.independent_nrps import NrpsPlatform
from tests.platform import LTI, TestPlatform


def statements_for(app: Any, get: Any) -> tuple[requests.Response, int]:
    count = [0]

    def counter(*_args: object) -> None:
        count[0] += 1

    event.listen(state(app).engine, "before_cursor_execute", counter)
    try:
        response = get()
    finally:
        event.remove(state(app).engine, "before_cursor_execute", counter)
    return response, count[0]


def test_people_page_and_course_home_queries_do_not_grow_with_the_roster(
    live: Any, platform: TestPlatform
) -> None:
    counts = []
    with NrpsPlatform("moodle").running() as lms:
        app, url = live()
        register(app, platform, auth_token_url=lms.token_url)
        lms.tool_jwks_url = url + "/lti/jwks.json"
        for size in (30, 300):
            lms.members = roster_of(lms, size)
            staff = requests.Session()
            context = {"id": f"course-{size}", "title": f"Course of {size}"}
            launched = launch(platform, staff, url, lms, **{LTI + "context": context})
            home = url + course_path(launched)
            jobs(app).run_pending()
            page, on_people = statements_for(app, lambda u=home + "people", s=staff: s.get(u))
            assert page.status_code == 200 and f"{size} people in all" in page.text
            shown, on_home = statements_for(app, lambda u=home, s=staff: s.get(u))
            assert f"<strong>{size}</strong> people in all" in shown.text
            counts.append((on_people, on_home))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 5  # grant's settings, unread feedback for the navigation, the page
