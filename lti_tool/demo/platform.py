"""The demo LMS as one object: its identity, its URLs, its key, its course and its state.

Built once by `init_demo` from the settings; views reach it through `demo()`, and tests through
`demo_platform(app)`. The identity is what the demo registers in Rapport, exactly as an LMS
administrator would (LTI 1.3 Core §3.1.3: issuer, client_id, deployment_id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app

from lti_tool.demo.keys import PlatformKey
from lti_tool.demo.people import COURSE, RAPPORT_LINK, DemoCourse, DemoLink
from lti_tool.demo.records import PlacedLink
from lti_tool.demo.store import DemoStore

CLIENT_ID = "rapport-demo"
DEPLOYMENT_ID = "demo-deployment-1"
PLATFORM_NAME = "Rapport demo LMS"
PRODUCT_FAMILY = "rapport-demo"
PLATFORM_VERSION = "1.0"
EXTENSION = "rapport_demo"
# Moodle names its LTI tool type in every service URL; so does the demo, so that Rapport's
# URL handling keeps query strings (`…/lineitem?type_id=1` → `…/lineitem/scores?type_id=1`).
TYPE_ID = "1"


@dataclass
class DemoPlatform:
    public_url: str  # where the demo LMS answers
    key: PlatformKey
    store: DemoStore
    tool_jwks: Callable[[], dict[str, Any]]  # the tool's JWKS, read in-process
    first_course: DemoCourse = COURSE  # the course the demo starts with; copies are of it
    tool_url: str = ""  # where Rapport answers: the demo's own address unless told otherwise
    registered: bool = False

    @property
    def course(self) -> DemoCourse:
        """The course the demo launches: its first one, or the newest copy of it."""
        copy = self.store.newest_copy()
        if copy is None:
            return self.first_course
        return replace(
            self.first_course,
            context_id=copy["context_id"],
            title=copy["title"],
            label=copy["label"],
            history=tuple(copy["history"]),
        )

    def copy_course(self) -> DemoCourse:
        """Copy the course for a new term, as an LMS does; the demo launches the copy."""
        current = self.course
        term = len(current.history) + 2
        first = self.first_course
        self.store.copy_course(
            first.context_id,
            current.context_id,
            list(current.history),
            f"{first.title} (term {term})",
            first.label,
        )
        return self.course

    # -- identity -----------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return self.public_url + "/demo"

    client_id = CLIENT_ID
    deployment_id = DEPLOYMENT_ID

    # -- the demo's own endpoints -------------------------------------------------------------
    @property
    def auth_url(self) -> str:
        return self.issuer + "/auth"

    @property
    def token_url(self) -> str:
        return self.issuer + "/token"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks.json"

    @property
    def deep_link_return_url(self) -> str:
        return self.issuer + "/deep-link/return"

    @property
    def nrps_url(self) -> str:
        return f"{self.issuer}/nrps/{self.course.context_id}/memberships"

    @property
    def lineitems_url(self) -> str:
        return f"{self.issuer}/ags/{self.course.context_id}/lineitems?type_id={TYPE_ID}"

    def lineitem_url(self, number: int, action: str = "", **query: str) -> str:
        path = f"{self.issuer}/ags/{self.course.context_id}/lineitems/{number}/lineitem"
        return f"{path}{action}?{urlencode({'type_id': TYPE_ID, **query})}"

    # -- the tool, as the demo has it configured ----------------------------------------------
    @property
    def tool_login_url(self) -> str:
        return (self.tool_url or self.public_url) + "/lti/login"

    @property
    def tool_launch_url(self) -> str:
        return (self.tool_url or self.public_url) + "/lti/launch"

    # -- the course's content -----------------------------------------------------------------
    def placed_link(self, link_id: str) -> PlacedLink | None:
        return self.store.placed_link(self.first_course.context_id, self.course.context_id, link_id)

    def placed_links(self) -> list[PlacedLink]:
        return self.store.placed_links(self.first_course.context_id, self.course.context_id)

    def place_link(
        self, title: str, text: str | None, url: str | None, custom: dict[str, str], by: str
    ) -> PlacedLink:
        context = self.course.context_id
        copy = None if context == self.first_course.context_id else context
        return self.store.place_link(title, text, url, custom, by, copy)

    def link(self, link_id: str) -> DemoLink | None:
        if link_id == RAPPORT_LINK.link_id:
            return RAPPORT_LINK
        placed = self.placed_link(link_id)
        return DemoLink(placed.link_id, placed.title, placed.text or "") if placed else None

    def links(self) -> list[DemoLink]:
        placed = [DemoLink(p.link_id, p.title, p.text or "") for p in self.placed_links()]
        return [RAPPORT_LINK, *placed]


def demo_platform(app: Flask) -> DemoPlatform:
    platform: DemoPlatform = app.extensions[EXTENSION]
    return platform


def demo() -> DemoPlatform:
    return demo_platform(current_app)
