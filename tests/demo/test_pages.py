"""The demo LMS's pages: the course and its people, the LMS frame, and refusals."""

from __future__ import annotations

import html

import requests

from tests.demo.flow import parse_page, start_document_url


def test_demo_lists_the_course_its_content_and_people(demo_lms):
    _, url = demo_lms
    page = requests.get(url + "/demo")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Foundations of Psychology (PSY101)" in text
    for name in (
        "Margaret Chen",
        "Tomás Rivera",
        "Amara Okafor",
        "Liam O'Brien",
        "Zoë Dubois",
        "Student with a private profile",
    ):
        assert f"Launch as {name}" in text
    assert text.count("Launch as ") == 13
    assert text.count("Place Rapport in the course (Deep Linking)") == 2
    assert "Teaching assistant" in text
    assert url + "/demo/jwks.json" in text


def test_lms_page_frames_the_login_initiation_and_offers_a_new_window(demo_lms, browser):
    _, url = demo_lms
    page = browser.get(url + "/demo/launch/student-amara-okafor")
    assert page.status_code == 200
    assert 'title="Rapport, as Amara Okafor"' in page.text
    assert "Open in a new window" in page.text
    frame = start_document_url(browser, url, "student-amara-okafor")
    form = parse_page(browser.get(frame).text).forms[0]
    assert form.method == "post"
    assert form.fields["iss"] == url + "/demo"
    assert form.fields["login_hint"] == "student-amara-okafor"
    assert form.fields["target_link_uri"] == url + "/lti/launch"
    assert form.fields["client_id"] == "rapport-demo"
    assert form.fields["lti_deployment_id"] == "demo-deployment-1"
    assert '"link_id":"demo-link-rapport"' in form.fields["lti_message_hint"]


def test_unknown_people_and_links_are_404_and_students_cannot_deep_link(demo_lms, browser):
    _, url = demo_lms
    assert browser.get(url + "/demo/launch/nobody").status_code == 404
    assert (
        browser.get(
            url + "/demo/launch/student-amara-okafor", params={"link": "no-such-link"}
        ).status_code
        == 404
    )
    assert (
        browser.get(
            url + "/demo/launch/student-amara-okafor", params={"target": "popup"}
        ).status_code
        == 400
    )
    refused = browser.get(url + "/demo/launch/student-amara-okafor", params={"deep_linking": "1"})
    assert refused.status_code == 403
    assert "only the teaching team" in refused.text
    assert browser.get(url + "/demo/launch", params={"person": "nobody"}).status_code == 404


def test_open_as_form_redirects_to_the_persons_lms_page(demo_lms, browser):
    _, url = demo_lms
    response = browser.get(
        url + "/demo/launch",
        allow_redirects=False,
        params={"person": "ta-tomas-rivera", "link": "demo-link-rapport", "locale": "es-ES"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        "/demo/launch/ta-tomas-rivera?link=demo-link-rapport&locale=es-ES"
    )
    page = browser.get(url + response.headers["Location"]).text
    assert "locale=es-ES" in page  # the frame's login carries it on to the launch
    bad = {"person": "ta-tomas-rivera", "locale": "es_ES<script>"}
    assert browser.get(url + "/demo/launch", params=bad, allow_redirects=False).status_code == 400


def test_demo_is_off_by_default(live):
    _, url = live()
    assert requests.get(url + "/demo").status_code == 404
    assert requests.get(url + "/demo/jwks.json").status_code == 404


def test_return_url_messages_from_the_tool_are_shown(demo_lms):
    _, url = demo_lms
    page = requests.get(
        url + "/demo",
        params={"lti_msg": "Your check-in was saved.", "lti_errormsg": "<b>Grades are delayed</b>"},
    )
    assert "Message from Rapport:</strong> Your check-in was saved." in page.text
    assert "&lt;b&gt;Grades are delayed&lt;/b&gt;" in page.text  # escaped, never markup


def test_gradebook_is_empty_until_rapport_sends_a_line_item(demo_lms):
    _, url = demo_lms
    page = requests.get(url + "/demo/gradebook")
    assert page.status_code == 200
    assert "No grade columns yet" in page.text
