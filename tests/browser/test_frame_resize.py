"""Rapport sizes the demo LMS's frame to its page (`lti.frameResize`, as Canvas takes it).

Issue 16: "Rapport asks the LMS to size its frame to the page … instead of a fixed 600 to 675 px
frame with its own scrollbar". The frame follows the page as it grows and shrinks, only the
tool's own frame is listened to, and a height out of bounds is kept within them.
"""

from __future__ import annotations

from typing import Any

from lti_tool.demo.pages import FRAME_BOUNDS
from tests.browser.conftest import launched_frame, screenshot

TALLER = """() => { const block = document.createElement('div');
  block.id = 'tall'; block.style.height = '2500px';
  document.querySelector('main').append(block); }"""


def _frame_height(page: Any) -> float:
    return float(page.eval_on_selector("#tool-frame", "f => f.clientHeight"))


def _settles(page: Any, frame: Any) -> None:
    """Wait until the frame is as tall as the page inside it asks for (no time asserted)."""
    page.wait_for_function(
        """() => { const f = document.getElementById('tool-frame');
                   const inner = f.contentDocument.documentElement;
                   const asked = Math.ceil(inner.getBoundingClientRect().height);
                   return Math.abs(f.clientHeight - asked) <= 1; }""",
        timeout=15_000,
    )


def _inner_scrolls(frame: Any) -> bool:
    return bool(
        frame.evaluate("() => document.documentElement.scrollHeight > window.innerHeight + 1")
    )


def test_the_frame_follows_the_page_inside_it_with_no_scrollbar_of_its_own(demo, page_in):
    page = page_in(1280, 900)
    frame = launched_frame(page, demo, "Margaret Chen")
    page.wait_for_function(
        "() => document.getElementById('tool-frame').dataset.sized === 'tool'", timeout=15_000
    )
    _settles(page, frame)
    first = _frame_height(page)
    assert not _inner_scrolls(frame)

    frame.evaluate(TALLER)  # the page grows, as when a long thread or list loads
    page.wait_for_function(
        f"() => document.getElementById('tool-frame').clientHeight > {first + 2000}",
        timeout=15_000,
    )
    _settles(page, frame)
    assert not _inner_scrolls(frame)
    assert page.evaluate("() => document.documentElement.scrollHeight") > first + 2000
    screenshot(page, "frame-resize-tall-1280")

    frame.evaluate("() => document.getElementById('tall').remove()")
    page.wait_for_function(
        f"() => document.getElementById('tool-frame').clientHeight <= {first + 1}",
        timeout=15_000,
    )
    assert not _inner_scrolls(frame)


def test_a_student_s_page_at_375_px_fits_its_frame(demo, page_in):
    page = page_in(375, 800)
    frame = launched_frame(page, demo, "Amara Okafor")
    page.wait_for_function(
        "() => document.getElementById('tool-frame').dataset.sized === 'tool'", timeout=15_000
    )
    _settles(page, frame)
    assert not _inner_scrolls(frame)
    screenshot(page, "frame-resize-student-375")


def test_only_the_tool_s_frame_sizes_it_and_only_within_bounds(demo, page_in):
    page = page_in(1280, 900)
    frame = launched_frame(page, demo, "Margaret Chen")
    _settles(page, frame)
    before = _frame_height(page)
    # The LMS page itself (not the frame's window) asks: ignored.
    page.evaluate("() => window.postMessage({subject: 'lti.frameResize', height: 5000}, '*')")
    frame.evaluate("() => window.parent.postMessage({subject: 'lti.other', height: 5000}, '*')")
    frame.evaluate(
        "() => window.parent.postMessage("
        "JSON.stringify({subject: 'lti.frameResize', height: 10}), '*')"
    )
    page.wait_for_function(
        f"() => document.getElementById('tool-frame').clientHeight === {FRAME_BOUNDS[0]}",
        timeout=15_000,
    )
    assert before != FRAME_BOUNDS[0]
    frame.evaluate(
        "() => window.parent.postMessage({subject: 'lti.frameResize', height: 1e9}, '*')"
    )
    page.wait_for_function(
        f"() => document.getElementById('tool-frame').clientHeight === {FRAME_BOUNDS[1]}",
        timeout=15_000,
    )
