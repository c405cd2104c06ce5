"""The roster as staff meet it: a staff launch syncs it in the background, the Refresh button,
the People page — over real HTTP against Moodle- and Canvas-shaped NRPS platforms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from lti_tool.db import transaction, utcnow
from lti_tool.jobs import jobs
from lti_tool.models import Course, Membership
from lti_tool.tasks import ROSTER_SYNC
from tests.conftest import register, state
from tests.independent_nrps import NrpsPlatform, member
from tests.platform import INSTRUCTOR, LEARNER, LTI, TestPlatform

ROLES = LTI + "roles"


@pytest.fixture(params=["moodle", "canvas"])
def lms(request: pytest.FixtureRequest) -> Iterator[NrpsPlatform]:
    with NrpsPlatform(request.param).running() as running:
        yield running


@pytest.fixture
def rapport(live: Any, platform: TestPlatform, lms: NrpsPlatform) -> tuple[Any, str]:
    app, url = live()
    register(app, platform, auth_token_url=lms.token_url)
    lms.tool_jwks_url = url + "/lti/jwks.json"
    return app, url


def roster_of(lms: NrpsPlatform, size: int, **changes: Any) -> list[dict[str, Any]]:
    """`size` students and the teacher who launches, in the platform's own shape."""
    teacher = member(lms.shape, 99999, "Instructor")
    teacher.update(user_id="teacher", name="Grace Hopper")
    return [teacher, *(member(lms.shape, n, **changes) for n in range(size - 1))]


def launch(
    platform: TestPlatform,
    browser: requests.Session,
    url: str,
    lms: NrpsPlatform | None,
    sub: str = "teacher",
    role: str = INSTRUCTOR,
    **claims: Any,
) -> requests.Response:
    extra = lms.launch_claim() if lms else {}
    response = platform.full_launch(browser, url, sub=sub, **{ROLES: [role]}, **extra, **claims)
    assert response.status_code == 303, response.text
    return response


def course_path(launched: requests.Response) -> str:
    """`/courses/<id>/` from the launch's redirect, whatever else the redirect carries."""
    found = re.search(r"/courses/(\d+)/", launched.headers["Location"])
    assert found, launched.headers["Location"]
    return found.group(0)


def course_id(app: Any) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Course.id)).one())


def memberships(app: Any) -> dict[str, Membership]:
    with transaction(state(app).sessions) as session:
        return {m.person.sub: m for m in session.scalars(select(Membership))}


def age_roster(app: Any, hours: float) -> None:
    """Pretend the last sync ran `hours` ago (no sleeping)."""
    with transaction(state(app).sessions) as session:
        session.execute(update(Course).values(roster_synced_at=utcnow() - timedelta(hours=hours)))


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def test_a_staff_launch_syncs_a_thousand_members_in_the_background(rapport, platform, lms, browser):
    app, url = rapport
    lms.members = roster_of(lms, 1000)
    response = launch(platform, browser, url, lms)
    # The launch has answered with the sync waiting for a worker; nothing asked the platform.
    assert jobs(app).backlog(ROSTER_SYNC) == 1 and not lms.page_requests
    home = browser.get(url + response.headers["Location"])
    assert "Refreshing the roster from the LMS now" in home.text
    assert "<strong>1</strong> person in all" in home.text
    assert jobs(app).run_pending() == 2  # the sync, and the summary of the launch
    assert len(lms.page_requests) == 10
    assert lms.token_requests == 1
    home = browser.get(url + response.headers["Location"])
    assert "<strong>1000</strong> people in all" in home.text
    assert "<strong>999</strong> students" in home.text
    assert "Last read from the LMS" in home.text
    rows = memberships(app)
    assert rows["user-00042"].person.name == "Person 00042"
    assert rows["teacher"].last_launch_at is not None and rows["teacher"].active


def test_launches_sync_only_a_stale_roster_and_only_for_staff(rapport, platform, lms, browser):
    app, url = rapport
    lms.members = roster_of(lms, 30)
    launch(platform, browser, url, lms)
    jobs(app).run_pending()
    assert len(lms.page_requests) == 1
    launch(platform, requests.Session(), url, lms)  # staff again, within the hour
    launch(platform, requests.Session(), url, lms, sub="user-00001", role=LEARNER)
    age_roster(app, 2)
    launch(platform, requests.Session(), url, lms, sub="user-00002", role=LEARNER)
    jobs(app).run_pending()
    assert len(lms.page_requests) == 1  # students never start a sync
    launch(platform, requests.Session(), url, lms)
    jobs(app).run_pending()
    assert len(lms.page_requests) == 2
    assert lms.token_requests == 1  # the cached token serves both syncs


def test_the_interval_comes_from_settings(live, platform, lms, browser):
    app, url = live(roster_sync_interval_seconds=60)
    register(app, platform, auth_token_url=lms.token_url)
    lms.tool_jwks_url = url + "/lti/jwks.json"
    lms.members = roster_of(lms, 3)
    launch(platform, browser, url, lms)
    jobs(app).run_pending()
    age_roster(app, 2 / 60)  # two minutes: older than this course's interval
    launch(platform, requests.Session(), url, lms)
    jobs(app).run_pending()
    assert len(lms.page_requests) == 2


def test_refresh_button_syncs_for_staff_and_is_refused_to_students_and_forgers(
    rapport, platform, lms, browser
):
    app, url = rapport
    lms.members = roster_of(lms, 20)
    home_url = url + launch(platform, browser, url, lms).headers["Location"]
    jobs(app).run_pending()
    refresh = url + f"/courses/{course_id(app)}/roster/refresh"
    token = csrf_token(browser.get(home_url).text)
    soon = browser.post(refresh, data={"csrf_token": token}, allow_redirects=False)
    assert soon.status_code == 303 and "roster=recent" in soon.headers["Location"]
    assert "refreshed less than a minute ago" in browser.get(url + soon.headers["Location"]).text
    lms.members = roster_of(lms, 20)[:-5]  # five students left the course
    age_roster(app, 1 / 30)
    done = browser.post(refresh, data={"csrf_token": token}, allow_redirects=False)
    assert done.status_code == 303 and "roster=started" in done.headers["Location"]
    jobs(app).run_pending()
    assert len(lms.page_requests) == 2
    assert sum(not m.active for m in memberships(app).values()) == 5
    assert browser.post(refresh, allow_redirects=False).status_code == 400  # no CSRF token
    # The same browser, as a student of another course: a valid token, but not staff there.
    other = {"id": "course-2", "title": "Logic", "label": "LOG201"}
    student_home = launch(platform, browser, url, lms, role=LEARNER, **{LTI + "context": other})
    assert "Refresh roster" not in browser.get(url + student_home.headers["Location"]).text
    other_id = int(course_path(student_home).strip("/").split("/")[-1])
    other_refresh = url + f"/courses/{other_id}/roster/refresh"
    refused = browser.post(other_refresh, data={"csrf_token": token}, allow_redirects=False)
    assert refused.status_code == 403
    assert browser.get(url + f"/courses/{other_id}/people").status_code == 403
    jobs(app).run_pending()
    assert len(lms.page_requests) == 2


def test_the_people_page_shows_statuses_fallback_names_and_pages(rapport, platform, lms, browser):
    app, url = rapport
    lms.members = roster_of(lms, 150, private=True)
    lms.members[3]["status"] = "Inactive"
    lms.members[4]["status"] = "Deleted"
    launch(platform, browser, url, lms)
    jobs(app).run_pending()
    # A student who launches brings the name the roster withheld.
    launch(
        platform, requests.Session(), url, lms, sub="user-00000", role=LEARNER, name="Ada Lovelace"
    )
    people = url + f"/courses/{course_id(app)}/people"
    first = browser.get(people)
    assert first.status_code == 200
    assert "150 people in all" in first.text
    assert first.text.count("<tr>") == 101  # header + 100 people
    assert "Page 1 of 2" in first.text
    assert "Grace Hopper" in first.text.split("Student")[0]  # staff first
    assert "Ada Lovelace" in first.text
    rows = memberships(app)
    code = rows["user-00005"].person.short_code
    everyone = first.text + browser.get(people, params={"page": 2}).text
    assert f"Student {code}" in everyone
    assert "inactive in the LMS" in everyone
    assert "removed in the LMS" in everyone


def test_a_signed_launch_as_instructor_beats_a_roster_that_lists_a_learner(
    rapport, platform, lms, browser
):
    """Moodle 4.5.6: a non-editing teacher launches as Instructor while its NRPS lists them as
    Learner. Roster syncs keep them staff (tutor list, dashboard), and the People page says
    the two disagree; someone the roster lists who never launched takes the roster's role."""
    app, url = rapport
    lms.members = roster_of(lms, 4)
    assistant = member(lms.shape, 7, "Learner")
    assistant.update(user_id="ta", name="Tomás Rivera")
    lms.members.append(assistant)
    ta_browser = requests.Session()
    ta_home = course_path(launch(platform, ta_browser, url, lms, sub="ta", name="Tomás Rivera"))
    jobs(app).run_pending()  # the TA's staff launch synced the roster
    launch(platform, browser, url, lms)  # the teacher, after the sync
    rows = memberships(app)
    assert (rows["ta"].role, rows["ta"].launch_role, rows["ta"].roster_role) == (
        "staff",
        "staff",
        "student",
    )
    assert (rows["user-00001"].role, rows["user-00001"].launch_role) == ("student", None)
    assert ta_browser.get(url + ta_home + "dashboard").status_code == 200
    people = browser.get(url + ta_home + "people").text
    row = next(r for r in people.split("<tr>") if "Tomás Rivera" in r)
    assert "Staff" in row
    assert "The LMS roster says Student; Rapport follows their launch." in row
    # A refresh later changes nothing: the launch still wins.
    age_roster(app, 2)
    launch(platform, requests.Session(), url, lms)
    jobs(app).run_pending()
    assert memberships(app)["ta"].role == "staff"


def test_without_an_nrps_claim_the_roster_is_the_people_who_launched(
    rapport, platform, lms, browser
):
    app, url = rapport
    launch(platform, requests.Session(), url, None, sub="s1", role=LEARNER)
    home = browser.get(url + launch(platform, browser, url, None).headers["Location"])
    assert "<strong>the roster is the people who launched Rapport</strong>" in home.text
    assert "Refresh roster" not in home.text
    assert "<strong>2</strong> people in all" in home.text
    people = browser.get(url + f"/courses/{course_id(app)}/people").text
    assert "the roster is the people who launched Rapport" in people
    jobs(app).run_pending()
    assert lms.page_requests == [] and lms.token_requests == 0


def test_a_platform_that_refuses_shows_staff_its_words(rapport, platform, lms, browser):
    app, url = rapport
    lms.members = roster_of(lms, 250)
    lms.faults = [403]
    home_url = url + launch(platform, browser, url, lms).headers["Location"]
    jobs(app).run_pending()
    home = browser.get(home_url).text
    assert "The last refresh failed: the platform refused the roster: 403" in home
    assert "<strong>1</strong> person in all" in home


def test_a_roster_url_off_the_platform_s_sites_gets_no_request_and_no_token(
    rapport, platform, browser
):
    """A signed launch may name any `context_memberships_url`; Rapport calls only the
    platform's own sites, so an internal service named there sees neither a request nor the
    platform's access token."""
    app, url = rapport
    with NrpsPlatform("moodle").running() as elsewhere:
        elsewhere.members = roster_of(elsewhere, 3)
        home = course_path(launch(platform, browser, url, None, **elsewhere.launch_claim()))
        jobs(app).run_pending()
        assert elsewhere.page_requests == [] and elsewhere.token_requests == 0
    page = browser.get(url + home).text
    assert "not on the platform" in page
