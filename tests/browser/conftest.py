"""Real-browser fixtures: Debian's Chromium driven by Playwright, never a downloaded browser.

Headless Chromium blocks third-party cookies by default, as Safari and Firefox do, so a page on
one site that frames Rapport on another site sees what a student in an LMS iframe sees.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.servers import serving

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TAKING_SCREENSHOTS = os.environ.get("RAPPORT_SCREENSHOTS") == "1"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # The cross-site tests' frame goes Rapport → demo LMS → Rapport: with site
                # isolation each step swaps renderer processes, and under load Playwright
                # sometimes lost the frame's new process (a loaded page never found, a click
                # never landed: 3 runs in 33). The cookie policy is the browser's, not the
                # process model's, so the frame still keeps no cookie of Rapport's.
                "--disable-site-isolation-trials",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_in(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) at a given viewport width."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 900) -> Any:
        context = chromium.new_context(
            viewport={"width": width, "height": height}, ignore_https_errors=True
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def certificate_authority(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import trustme

    return trustme.CA()


@pytest.fixture
def tls_context(
    certificate_authority: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ssl.SSLContext:
    """A certificate for localhost from a private authority, as a developer would make one.

    The browser ignores certificate errors; Rapport's own HTTP client (fetching the demo
    platform's JWKS) trusts the authority through REQUESTS_CA_BUNDLE.
    """
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    certificate = certificate_authority.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    return context


def screenshot(page: Any, name: str) -> Path:
    """The page, whole, as `screenshots/<name>.png`, when RAPPORT_SCREENSHOTS=1 asks for it:
    pictures are for people looking at what they changed, and cost CI a fifth of its time."""
    path = SCREENSHOTS / f"{name}.png"
    if not TAKING_SCREENSHOTS:
        return path
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def demo(make_app: Any) -> Iterator[str]:
    """Rapport with its demo LMS on plain http; the base URL. Each job runs as it is queued,
    as if a worker took it at once: these tests are about pages, not the job runner."""
    with serving() as server:
        server.set_app(make_app(public_url=server.url, demo=True, jobs_backend="immediate"))
        yield server.url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives Chromium: `-m "not browser"` leaves them out."""
    folder = Path(__file__).parent
    for item in items:
        if folder in item.path.parents:
            item.add_marker(pytest.mark.browser)


def course_nav(frame: Any) -> Any:
    """The course's navigation in a frame: there once a launch has reached a course page."""
    return frame.get_by_role("navigation", name="Course")


def launched_frame(page: Any, url: str, person: str) -> Any:
    """Launch as `person` from the demo LMS's home; the tool's frame (a Frame, whose size and
    scripts a test can reach), once its page has drawn."""
    page.goto(url + "/demo")
    page.get_by_role("link", name=f"Launch as {person}").click()
    # The course's navigation, not the first heading: the login's platform-storage page
    # ("Signing … in to Rapport") comes first in the frame.
    course_nav(page.frame_locator("#tool-frame")).wait_for(timeout=15_000)
    frame = page.frame(url=lambda u: "/courses/" in u)
    assert frame is not None
    return frame


# Resolves once the frame holding an element has kept its height for SETTLED animation frames
# (at once on a page of its own). A page asks the LMS to fit the frame to it (frame-resize.js)
# when it loads and whenever its height changes, and the LMS's answer comes some frames later,
# from another process: a click aimed while the frame grows lands where its element was (1
# run in 4 of the cookieless test: a radio left unchecked, a reply never sent).
_SETTLED = """el => new Promise(settled => {
  const win = el.ownerDocument.defaultView;
  if (win.parent === win) { settled(); return; }
  let height = -1, held = 0;
  const watch = () => {
    held = win.innerHeight === height ? held + 1 : 0;
    height = win.innerHeight;
    if (held >= %d) { settled(); } else { win.requestAnimationFrame(watch); }
  };
  win.requestAnimationFrame(watch);
})"""
SETTLED = 6


def frame_settled(within: Any) -> None:
    """Wait until the LMS's frame holding a locator has been fitted to its page: after
    something that changes the page's height (a page loading, a section opening) and before
    the next click."""
    within.first.evaluate(_SETTLED % SETTLED)


def page_loaded(within: Any) -> None:
    """Wait for the load event of the page holding a locator (its stylesheet applied and its
    deferred scripts run) and, inside the LMS's frame, for the frame to be fitted to it. What
    a person does before then meets the page without them, or moving."""
    within.first.evaluate(
        "el => new Promise(loaded => el.ownerDocument.readyState === 'complete' ? loaded()"
        " : el.ownerDocument.defaultView.addEventListener('load', loaded, {once: true}))"
    )
    frame_settled(within)


@contextlib.contextmanager
def navigating(frame: Any) -> Iterator[None]:
    """What is done inside replaces the frame's page (a form sent, a link followed): wait until
    the old page has gone, so that what comes next is done on the new one, not on the old one
    while the answer is still on its way."""
    leaving = frame.locator("main").element_handle()
    yield
    with contextlib.suppress(PlaywrightError):  # "not attached": it has gone already
        leaving.wait_for_element_state("hidden")
    # And the new page has loaded: its scripts move focus to what the action made (scrolling
    # to it) and resize the frame, which a click made before then can miss.
    page_loaded(frame.locator("main"))


def course_page(frame: Any, name: str) -> None:
    """Follow the course navigation to a page as a person would at any width: through "More"
    when the page is not in a phone's row."""
    nav = frame.get_by_role("navigation", name="Course")
    # Which links sit in the row and which under "More" is the stylesheet's to say, and the
    # navigation is in the page before the stylesheet has loaded: read it once the page has.
    page_loaded(nav)
    link = nav.get_by_role("link", name=name, exact=True).filter(visible=True)
    if link.count() == 0:
        nav.locator("summary").click()
        frame_settled(nav)  # the open menu may make the page, and so the frame, taller
    # Until the new page has loaded, the frame still shows the old one: a test reading it at
    # once could act on a page that is about to be replaced. Its content goes when it does.
    leaving = frame.locator("main").element_handle()
    link.click()
    with contextlib.suppress(PlaywrightError):  # "not attached": it has gone already
        leaving.wait_for_element_state("hidden")
    frame.locator("main h1").wait_for()
