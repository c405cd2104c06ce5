"""Rapport's CSS and scripts are named by their content (views/assets.py): a browser keeps
each as long as it is unchanged, instead of asking again on every page of the LMS frame."""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask

from lti_tool.views.assets import version_of


def _static_urls(app: Flask) -> list[str]:
    page = app.test_client().get("/nothing-here").get_data(as_text=True)
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def test_every_static_file_a_page_names_is_kept_for_a_year_until_it_changes(app: Flask) -> None:
    urls = _static_urls(app)
    assert len(urls) >= 4 and all(re.search(r"\?v=[0-9a-f]{12}$", u) for u in urls), urls
    client = app.test_client()
    for url in urls:
        kept = client.get(url)
        assert kept.status_code == 200
        assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable", url


def test_a_file_asked_for_without_its_current_digest_is_checked_every_time(app: Flask) -> None:
    client = app.test_client()
    for url in ("/static/rapport.css", "/static/rapport.css?v=000000000000"):
        answered = client.get(url)
        assert answered.status_code == 200
        assert answered.headers["Cache-Control"] == "no-cache", url


def test_a_changed_file_gets_a_new_digest_and_a_missing_one_none(tmp_path: Path) -> None:
    made = tmp_path / "page.css"
    made.write_text("a { color: black; }")
    first = version_of(str(tmp_path), "page.css")
    made.write_text("a { color: navy; }")
    later = os.stat(made).st_mtime_ns + 5_000_000_000
    os.utime(made, ns=(later, later))
    assert first and version_of(str(tmp_path), "page.css") not in (None, first)
    assert version_of(str(tmp_path), "gone.css") is None
