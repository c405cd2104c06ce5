"""The full OIDC login and launch over HTTP against a platform that really signs tokens."""

from __future__ import annotations

import requests

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


def test_a_nul_in_a_name_is_stored_as_a_replacement_character(tool, platform, browser):
    _, url = tool
    response = platform.full_launch(browser, url, sub="s-nul", name="Ada\x00 Lovelace")
    assert response.status_code == 303
    home = browser.get(url + response.headers["Location"])
    assert "Ada\ufffd Lovelace" in home.text


def test_a_lone_surrogate_in_a_name_is_stored_as_a_replacement_character(
    tool, platform, browser
):
    """JSON may carry "\\ud800", which no database or UTF-8 page can hold."""
    _, url = tool
    response = platform.full_launch(
        browser, url, sub="s-surrogate", name="Ada \ud800 Lovelace", given_name="\udfff"
    )
    assert response.status_code == 303
    home = browser.get(url + response.headers["Location"])
    assert home.status_code == 200
    assert "Ada \ufffd Lovelace" in home.text


def test_a_user_id_with_a_nul_a_lone_surrogate_or_over_255_characters_is_refused(
    tool, platform, browser
):
    _, url = tool
    for sub in ("a\x00b", "a\ud800b", "x" * 256):
        response = platform.full_launch(requests.Session(), url, sub=sub)
        assert response.status_code == 400
        assert "user id" in response.text


def test_a_form_field_with_a_nul_is_refused_with_a_reason(tool, platform, browser):
    _, url = tool
    response = platform.full_launch(browser, url, sub="s-1")
    home = url + response.headers["Location"]
    refused = browser.get(home, params={"page": "1\x00"})
    assert refused.status_code == 400 and "NUL character" in refused.text
