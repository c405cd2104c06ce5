"""People in a course, driven over HTTP the way a browser would: a real OIDC login and launch,
then pages and forms (with the CSRF token each page carries)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Flask

from tests.conftest import state
from tests.platform import INSTRUCTOR, LEARNER, LTI, TestPlatform

MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"


@dataclass
class Clock:
    """The app's clock, moved by tests instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2027, 1, 25, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def use_clock(app: Flask, clock: Clock) -> Clock:
    state(app).clock = clock
    return clock


@dataclass
class Visitor:
    """One person's browser in one course."""

    url: str
    http: requests.Session
    course: str  # "/courses/<id>/"

    def get(self, path: str = "", **kwargs: Any) -> requests.Response:
        return self.http.get(self.url + self.course + path, allow_redirects=False, **kwargs)

    def csrf(self) -> str:
        page = self.http.get(self.url + self.course).text
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert found, "no CSRF token on the course home"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True):
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.csrf())
        return self.http.post(self.url + self.course + path, data=body, allow_redirects=False)

    def text(self, path: str = "") -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.text


def enter(
    platform: TestPlatform,
    url: str,
    sub: str,
    role: str = LEARNER,
    name: str | None = None,
    context: str = "course-1",
    **claims: Any,
) -> Visitor:
    http = requests.Session()
    extra: dict[str, Any] = {
        LTI + "roles": [role],
        LTI + "context": {"id": context, "title": f"Course {context}", "label": context.upper()},
    }
    if name is not None:
        extra["name"] = name
    launched = platform.full_launch(http, url, sub=sub, **extra, **claims)
    assert launched.status_code == 303, launched.text
    found = re.search(r"/courses/\d+/", launched.headers["Location"])
    assert found, launched.headers["Location"]
    return Visitor(url, http, found.group(0))


def teacher(platform: TestPlatform, url: str, sub: str = "teacher", **kw: Any) -> Visitor:
    return enter(platform, url, sub, INSTRUCTOR, name=kw.pop("name", "Margaret Chen"), **kw)


def post_id(response: requests.Response) -> int:
    found = re.search(r"post-(\d+)", response.headers.get("Location", ""))
    assert found, response.headers.get("Location")
    return int(found.group(1))


def write_news(staff: Visitor, title: str, body: str = "Hello all.", **form: Any) -> int:
    response = staff.post("posts/new", {"title": title, "body": body, "when": "now", **form})
    assert response.status_code == 303, response.text[:500]
    return post_id(response)
