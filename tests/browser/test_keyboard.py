"""Every flow with the keyboard alone, in the demo LMS's frame (issue 17, WCAG 2.2 AA): a student
answers a check-in, reacts to a post, replies to it and writes to her tutor; staff answer her in
triage and mark another answer handled, then write back in her conversation.

Nothing is clicked: each control is reached with Tab from the LMS page (Tab stops are counted,
so an unreachable control fails) and used with Enter, Space, the arrow keys and typing. At every
stop the focus ring must show, 3:1 against what is beside it. After every action the page says
what happened in a status region and focus is on what the action made or changed (or on the
words), never on <body>; axe-core checks each page an action led to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.accessibility import Findings, focus_ring_problem
from tests.browser.conftest import course_nav, page_loaded, screenshot
from tests.browser.full_course import LIAM, MARGARET, TOMAS, done, enter, ids, weekly_checkin
from tests.conftest import without_rate_limits
from tests.newsfeed_flow import write_news
from tests.servers import serving

SOFIA = "student-sofia-rossi"


@pytest.fixture
def course(make_app: Any) -> Iterator[str]:
    """News to react and reply to, a check-in open now that Liam answered, and Sofia with
    Tomás as her tutor."""
    with serving() as server:
        app = make_app(public_url=server.url, demo=True, jobs_backend="immediate")
        without_rate_limits(app)
        server.set_app(app)
        url = server.url
        margaret, liam = enter(url, MARGARET), enter(url, LIAM)
        for known in (TOMAS, SOFIA):  # in Rapport once they have launched
            enter(url, known)
        write_news(margaret, "Week 2 reading is up", "Chapter 3, pages 41-68.")
        person = ids(app)
        tutor = {"student_id": person[SOFIA], "tutor_id": person[TOMAS]}
        done(margaret.post("tutors/allocate", tutor), "tutor")
        done(margaret.post("checkins/new", weekly_checkin()), "check-in")
        answer = re.search(r'href="[^"]*/(checkins/occurrences/\d+/answer)"', liam.text())
        assert answer
        done(liam.post(answer.group(1), {"scale": "4"}), "answer")
        yield url


class Keyboard:
    """One person at the keyboard, in Rapport's frame inside the LMS page."""

    def __init__(self, page: Any, demo: str, person: str, findings: Findings) -> None:
        self.page, self.findings, self.who = page, findings, person
        self.rings: list[str] = []
        self.stops: list[str] = []  # the words of each control Tab reached, in order
        page.goto(f"{demo}/demo/launch/{person}")  # the LMS page with Rapport in its frame
        course_nav(page.frame_locator("#tool-frame")).wait_for(timeout=15_000)
        frame = page.frame(url=lambda u: "/courses/" in u)
        assert frame is not None
        self.frame = frame
        page_loaded(frame.locator("main"))

    def tab_to(self, target: Any, presses: int = 90) -> None:
        """Press Tab until `target` has the focus, checking the focus ring at each stop."""
        for _ in range(presses):
            self.page.keyboard.press("Tab")
            if self.frame.evaluate("document.hasFocus()"):
                self.stops.append(self.frame.evaluate("document.activeElement.innerText || ''"))
                problem = focus_ring_problem(self.frame)
                if problem and problem not in self.rings:
                    self.rings.append(problem)
            if target.evaluate("e => e === document.activeElement && document.hasFocus()"):
                return
        raise AssertionError(f"{presses} presses of Tab never reached {target}")

    def press_on(self, target: Any, key: str) -> None:
        self.tab_to(target)
        self.page.keyboard.press(key)

    def follow(self, target: Any, key: str = "Enter") -> None:
        """Reach a link or a form's button and press it: a new page in the frame."""
        self.tab_to(target)
        with self.frame.expect_navigation():
            self.page.keyboard.press(key)
        page_loaded(self.frame.locator("main"))

    def said(self, words: str) -> str:
        """The page says `words` in a status region, and focus is not on <body>: what it is on."""
        status = self.frame.locator("[role=status]", has_text=words)
        status.first.wait_for()
        focused = self.frame.evaluate(
            "() => { const e = document.activeElement; return e === document.body ? null"
            " : e.outerHTML.slice(0, e.outerHTML.indexOf('>') + 1) + ' ' + e.innerText; }"
        )
        assert focused is not None, f"after {words!r} focus is on <body>"
        self.findings.check(self.frame, f"{self.who}: {words}")
        return str(focused)

    def type(self, words: str) -> None:
        self.page.keyboard.type(words)


def course_link(frame: Any, name: str) -> Any:
    return frame.get_by_role("navigation", name="Course").get_by_role("link", name=name)


def test_every_flow_by_keyboard_alone(course, page_in):
    findings = Findings()
    sofia = Keyboard(page_in(1280, 900), course, SOFIA, findings)
    frame = sofia.frame

    # A check-in: a face chosen with the arrow keys, words, the wish to talk, sent.
    sofia.follow(frame.get_by_role("link", name="Answer: Week 3 check-in"))
    sofia.tab_to(frame.get_by_role("radio", name="Lost (1 of 5)"))
    sofia.page.keyboard.press("ArrowRight")
    assert frame.get_by_role("radio", name="2 of 5").is_checked()
    sofia.tab_to(frame.get_by_label("What is one thing we could help with?"))
    sofia.type("A reading group would help.")
    sofia.press_on(frame.get_by_label("I'd like to talk to someone on the course team"), "Space")
    sofia.follow(frame.get_by_role("button", name="Send my answer"))
    assert "your answer is saved" in sofia.said("your answer is saved")

    # The newsfeed: a reaction, then a reply.
    sofia.follow(course_link(frame, "Newsfeed"))
    sofia.follow(frame.get_by_role("button", name="Like"))
    focused = sofia.said("Reaction added.")
    assert 'aria-pressed="true"' in focused and "Like" in focused
    sofia.press_on(frame.get_by_text("Reply", exact=True), "Enter")
    reactions = {"Hello", "Thank you", "Like", "Love", "Celebrate"}
    assert reactions <= {stop.split("\n")[-1] for stop in sofia.stops}  # after each emoji
    sofia.tab_to(frame.get_by_label("Your reply"))
    sofia.type("Thank you! Is the chapter on the reading list too?")
    sofia.follow(frame.get_by_role("button", name="Send reply"))
    assert "Is the chapter on the reading list too?" in sofia.said("Reply sent.")
    screenshot(sofia.page, "keyboard-reply-sent-1280")

    # Her tutor, from the course home.
    sofia.follow(frame.get_by_role("link", name="Write to Tomás Rivera"))
    sofia.tab_to(frame.get_by_label("What it is about"))
    sofia.type("Reading group")
    sofia.tab_to(frame.get_by_label("Your message"))
    sofia.type("Could we set one up for week 4?")
    sofia.follow(frame.get_by_role("button", name="Send"))
    sofia.said("Conversation started")
    assert frame.get_by_role("heading", name="Reading group").is_visible()

    # Staff: triage, where a reply is sent in place and focus moves on to the next card.
    staff = Keyboard(page_in(1280, 900), course, MARGARET, findings)
    frame = staff.frame
    staff.follow(course_link(frame, "Check-ins"))
    staff.follow(frame.get_by_role("link", name="Triage all answers"))
    staff.press_on(frame.get_by_text("Answer Sofia Rossi"), "Enter")
    staff.tab_to(frame.get_by_label("Your reply, in Sofia Rossi's feedback thread"))
    staff.type("Yes: let's meet on Monday at 10.")
    staff.press_on(frame.get_by_role("button", name="Send reply"), "Enter")
    focused = staff.said("Reply sent to Sofia Rossi")
    assert 'data-name="Liam O\'Brien"' in focused, "focus on the next card"
    screenshot(staff.page, "keyboard-triage-answered-1280")
    staff.follow(frame.get_by_role("button", name="Mark handled without reply for Liam O'Brien"))
    assert 'data-name="Liam O\'Brien"' in staff.said("Marked handled.")

    # Her conversation, from the card: a message back.
    staff.follow(frame.get_by_role("link", name="Open the conversation with Sofia Rossi"))
    staff.tab_to(frame.get_by_label("Your reply"))
    staff.type("See you then.")
    staff.follow(frame.get_by_role("button", name="Send"))
    assert "See you then." in staff.said("Message sent.")

    rings = sofia.rings + staff.rings
    assert rings == [], "\n".join(rings)
    findings.assert_none()
