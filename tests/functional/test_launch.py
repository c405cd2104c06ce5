"""The full OIDC login and launch over HTTP against a platform that really signs tokens."""

from __future__ import annotations

from tests.platform import INSTRUCTOR


def test_student_launch_lands_on_course_home(tool, platform, browser):
    _, url = tool
    response = platform.full_launch(browser, url, sub="student-1")
    assert response.status_code == 303
    home = browser.get(url + response.headers["Location"])
    assert home.status_code == 200
    assert "Ada Lovelace" in home.text
    assert "Introduction to Poetry" in home.text
    assert "student" in home.text
    assert "People Rapport knows" not in home.text


def test_staff_sees_how_many_people_rapport_knows(tool, platform, browser):
    _, url = tool
    for n in range(3):
        platform.full_launch(browser.__class__(), url, sub=f"s{n}")
    response = platform.full_launch(
        browser,
        url,
        sub="teacher",
        name="Grace Hopper",
        **{"https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR]},
    )
    home = browser.get(url + response.headers["Location"])
    assert "Grace Hopper" in home.text
    assert "People Rapport knows" in home.text
    assert "<strong>4</strong> people in all" in home.text
