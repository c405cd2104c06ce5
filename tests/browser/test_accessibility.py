"""axe-core on every page type (issue 17, WCAG 2.2 AA): as staff and as a student, in an empty
course and in a full one, at a desktop's 1280 px and a phone's 375 px; and every page at 200%
zoom.

Each person launches from the demo LMS and goes through the course the way its links lead, one
page of each kind (a post, a conversation, a check-in's overview…: paths without their ids),
plus the pages the LMS opens (the deep-linking picker, a placed activity), refusals (a page a
student may not open, one not there), the answer to a form (a bulk start's preview) and the
pages outside a course (a mail's unsubscribe link, a refused
launch). axe runs on each page in Rapport's frame inside the LMS (axe applies its rules about a
whole document there too: one main landmark, a level-one heading) and, for the full course at
375 px, on the page opened on its own as well ("Open in a new window"), a little wider than the
frame. (A window and the frame inside it fall on the same side of every breakpoint of
rapport.css at either width, so a second run at 1280 px would check the same layout.) Any
violation of any impact fails, listing every one. The full course's pages must draw every page
template there is, so a new page cannot go unchecked.

The two courses are built once per module (per test process) and only read here.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, template_rendered

from tests.browser.accessibility import Findings, with_axe
from tests.browser.conftest import launched_frame, page_loaded, screenshot
from tests.browser.full_course import FullCourse, fill
from tests.conftest import running_demo

PEOPLE = {"staff": "Margaret Chen", "student": "Amara Okafor"}
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Pages the full course does not draw, and why.
NOT_DRAWN = {
    "demo/": "the demo LMS's own pages, not Rapport's",
    "email/": "mail, not a page",
    "install/registered.html": "drawn once an LMS's dynamic registration succeeds",
    "deep_linking/return.html": "posts itself back to the LMS at once",
    "deep_linking/refused.html": "a deep-linking request for a person who may not place content",
    "lti/": "a launch's hand-offs (platform storage, a frame without cookies), gone at once",
}


@dataclass
class Drawn:
    """The templates an app draws."""

    names: set[str] = field(default_factory=set)

    def __call__(self, sender: Flask, template: Any, context: Any, **extra: Any) -> None:
        if template.name:
            self.names.add(template.name)


@dataclass
class Course:
    app: Flask
    url: str
    drawn: Drawn
    filled: FullCourse | None = None


@pytest.fixture(scope="module")
def empty_course(tmp_path_factory: pytest.TempPathFactory, db_templates: Path) -> Iterator[Course]:
    with running_demo(tmp_path_factory.mktemp("empty"), db_templates) as (app, url):
        drawn = Drawn()
        with template_rendered.connected_to(drawn, app):
            yield Course(app, url, drawn)


@pytest.fixture(scope="module")
def full_course(tmp_path_factory: pytest.TempPathFactory, db_templates: Path) -> Iterator[Course]:
    with running_demo(tmp_path_factory.mktemp("full"), db_templates) as (app, url):
        filled = fill(app, url)
        drawn = Drawn()  # what the browser draws, from now on
        with template_rendered.connected_to(drawn, app):
            yield Course(app, url, drawn, filled)


def page_kind(url: str) -> str:
    """A page's kind: its path inside the course (or the site), ids and query left out."""
    path = "/" + urlsplit(url).path.lstrip("/")
    if path.startswith("/courses/"):
        path = path.removeprefix("/courses/").split("/", 1)[1] or "(home)"
    return re.sub(r"\d+|[\w.-]{20,}", "#", path)


def every_kind(frame: Any, extra: list[str], visit: Any) -> list[str]:
    """Call `visit(url, kind)` with the frame on each kind of page reached by links from the
    course home, and on `extra` (paths inside the course, or from the site's root); the kinds."""
    inside = frame.url.rsplit("/", 1)[0] + "/"
    site = inside.split("/courses/")[0]
    queue = deque([frame.url, *(site + p if p.startswith("/") else inside + p for p in extra)])
    kinds: list[str] = []
    while queue:
        url = queue.popleft()
        kind = page_kind(url)
        if kind in kinds:
            continue
        kinds.append(kind)
        if url != frame.url:
            frame.goto(url)
        page_loaded(frame.locator("body"))
        visit(url, kind)
        links = frame.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        queue.extend(link for link in links if link.startswith(inside) and ".csv" not in link)
    return kinds


class Visit:
    """A person's browser, launched from the LMS: Rapport's frame in the LMS's page, or (`alone`)
    a page of its own, as "Open in a new window" opens it."""

    def __init__(
        self, page: Any, demo: str, who: str, findings: Findings, alone: bool = False
    ) -> None:
        self.page, self.who, self.findings = page, who, findings
        self.width = page.viewport_size["width"]
        with_axe(page.context)
        self.frame = launched_frame(page, demo, PEOPLE[who])
        self.where = "" if alone else " (in the LMS)"
        if alone:
            self.frame = page.context.new_page()
            self.frame.goto(page.frame(url=lambda u: "/courses/" in u).url)

    def check(self, url: str, kind: str) -> None:
        self.findings.check(self.frame, f"{self.who} {self.width}px {kind}{self.where}")

    def course(self, extra: list[str]) -> list[str]:
        return every_kind(self.frame, extra, self.check)

    def refused(self, path: str) -> None:
        """A page of the course this person may not open, or that is not there."""
        frame = self.frame
        frame.goto(frame.url.split("/courses/")[0] + page_path(frame.url) + path)
        page_loaded(frame.locator("main"))
        self.findings.check(frame, f"{self.who} {self.width}px {path}, refused (in the LMS)")

    def preview(self) -> None:
        """A bulk start's preview: the answer to a form, never a link."""
        frame = self.frame
        frame.goto(frame.url.split("/courses/")[0] + page_path(frame.url) + "snippets/start")
        frame.get_by_label("Start from a snippet").select_option(label="Welcome")
        frame.get_by_label("Thread title").fill("Welcome to the course")  # the same for each
        for name in ("Amara Okafor", "Liam O'Brien"):
            frame.get_by_label(name, exact=True).check()
        frame.get_by_role("button", name="Preview").click()
        frame.get_by_role("heading", name="Check before sending").wait_for()
        page_loaded(frame.locator("main"))
        self.findings.check(frame, f"{self.who} {self.width}px snippets/start/preview (in the LMS)")

    def picker(self, demo: str) -> None:
        """The deep-linking picker, as the LMS opens it when staff add content."""
        self.page.goto(demo + "/demo/launch/instructor-margaret-chen?deep_linking=1")
        picker = self.page.frame_locator("#tool-frame").get_by_role("heading", name="Add Rapport")
        picker.wait_for(timeout=15_000)
        frame = self.page.frame(url=lambda u: "/deep-linking/" in u)
        page_loaded(frame.locator("main"))
        self.findings.check(frame, f"{self.who} {self.width}px deep-linking/# (in the LMS)")


def page_path(url: str) -> str:
    """/courses/<id>/ of a page of a course."""
    return "/courses/" + urlsplit(url).path.split("/courses/")[1].split("/")[0] + "/"


def outside(page: Any, demo: str, findings: Findings, unsubscribe: str) -> None:
    """Rapport's pages outside a course, on their own: its home, a refused launch and
    registration, and the page a mail's unsubscribe link opens."""
    width = page.viewport_size["width"]
    with_axe(page.context)
    for path in ["/", "/lti/login", "/lti/register", unsubscribe]:
        page.goto(demo + path)
        findings.check(page, f"anyone {width}px {page_kind(demo + path)}")


def page_templates() -> set[str]:
    names = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.glob("*/*.html")}
    return {
        name
        for name in names
        if not Path(name).name.startswith("_") and not any(map(name.startswith, NOT_DRAWN))
    }


@pytest.mark.parametrize("width", [1280, 375])
def test_no_axe_violation_in_an_empty_course(empty_course, page_in, width):
    findings = Findings()
    kinds = {}
    for who, extra in (("staff", ["posts/999999"]), ("student", ["dashboard"])):  # refused
        kinds[who] = Visit(page_in(width, 900), empty_course.url, who, findings).course(extra)
    print(f"\nempty course, {width}px: {len(findings.pages)} checks of {kinds}")
    findings.assert_none()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("width", [1280, 375])
def test_no_axe_violation_in_a_full_course(full_course, page_in, width):
    filled = full_course.filled
    assert filled is not None
    findings = Findings()
    full_course.drawn.names.clear()
    staff = Visit(page_in(width, 900), full_course.url, "staff", findings)
    kinds = {"staff": staff.course([*filled.staff, "posts/deleted", "bring-over"])}
    staff.preview()
    staff.refused("posts/999999")
    staff.picker(full_course.url)
    student = Visit(page_in(width, 900), full_course.url, "student", findings)
    kinds["student"] = student.course(filled.student)
    student.refused("dashboard")
    outside(page_in(width, 900), full_course.url, findings, filled.unsubscribe)
    print(f"\nfull course, {width}px: {len(findings.pages)} checks of {kinds}")
    findings.assert_none()
    assert page_templates() - full_course.drawn.names == set(), "pages no check reached"


def test_no_axe_violation_in_a_full_course_on_its_own(full_course, page_in):
    """At a phone's width, every page opened on its own, a little wider than the frame."""
    filled = full_course.filled
    assert filled is not None
    findings = Findings()
    kinds = {}
    for who, extra in (("staff", filled.staff), ("student", filled.student)):
        visit = Visit(page_in(375, 900), full_course.url, who, findings, alone=True)
        kinds[who] = visit.course(extra)
    print(f"\nfull course, 375px, on its own: {len(findings.pages)} checks of {kinds}")
    findings.assert_none()


def reflow_problems(page: Any, frame: Any, where: str) -> list[str]:
    """What does not reflow on this page: the LMS's page or Rapport's frame scrolling
    sideways, a page of the course's navigation neither in its row nor under "More"."""
    problems = []
    for name, target in (("the LMS", page), ("the frame", frame)):
        sideways = target.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if sideways > 0:
            problems.append(f"{where}: {name} scrolls {sideways}px sideways")
    nav = frame.get_by_role("navigation", name="Course")
    if nav.count():
        lost = nav.evaluate(
            """nav => { const links = [...nav.querySelectorAll('a')];
              const reached = new Set(links.filter(a => a.checkVisibility()
                || a.closest('.more-menu')).map(a => a.textContent.trim()));
              return links.map(a => a.textContent.trim()).filter(t => !reached.has(t)); }"""
        )
        if lost:
            problems.append(f"{where}: {lost} neither in the row nor under More")
    return problems


def test_at_200_percent_zoom_every_page_reflows_and_keeps_its_navigation(full_course, chromium):
    """A 1280 px window at 200% zoom: a 640 px viewport with twice the pixels. No page scrolls
    sideways, in the LMS nor in Rapport's frame, and every page of the course's navigation is
    in the row or under "More", which opens from the keyboard."""
    context = chromium.new_context(
        viewport={"width": 640, "height": 450}, device_scale_factor=2, ignore_https_errors=True
    )
    filled = full_course.filled
    assert filled is not None
    problems: list[str] = []
    try:
        for who, extra in (("staff", filled.staff), ("student", filled.student)):
            page = context.new_page()
            frame = launched_frame(page, full_course.url, PEOPLE[who])
            every_kind(
                frame,
                extra,
                lambda url, kind, page=page, frame=frame, who=who: problems.extend(
                    reflow_problems(page, frame, f"{who} {kind}")
                ),
            )
            frame.goto(frame.url.split("/courses/")[0] + page_path(frame.url))
            more = frame.get_by_role("navigation", name="Course").locator("summary")
            page_loaded(more)
            more.focus()
            page.keyboard.press("Enter")
            frame.locator(".more-menu ul").wait_for(state="visible")
            screenshot(page, f"zoom-200-{who}-more-open")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
