"""Driving Deep Linking 2.0 as a browser and a platform would: request, picker, signed answer.

The response JWT is checked with jwcrypto (not PyJWT, which Rapport signs with) against the
JWKS Rapport publishes over HTTP, as a platform does.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from jwcrypto.jwk import JWKSet
from jwcrypto.jwt import JWT

from tests.fixtures import FIXTURES
from tests.platform import DROP, INSTRUCTOR, TestPlatform

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SETTINGS = DL + "deep_linking_settings"
ITEMS = DL + "content_items"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


def settings(**changes: Any) -> dict[str, Any]:
    """A deep_linking_settings claim as an LMS sends it; keyword arguments change fields."""
    claim: dict[str, Any] = {
        "deep_link_return_url": "https://lms.example.edu/deep-link/return?course=1",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": True,
        "auto_create": True,
        "data": "opaque-csrf-ish-value-42",
    }
    for name, value in changes.items():
        if value is DROP:
            claim.pop(name, None)
        else:
            claim[name] = value
    return claim


def dl_launch(
    browser: requests.Session,
    url: str,
    platform: TestPlatform,
    dl_settings: dict[str, Any] | None = None,
    **overrides: Any,
) -> requests.Response:
    """A deep-linking request signed by the test platform, through the OIDC login."""
    login = platform.login(browser, url)
    body = platform.claims(
        login.nonce,
        **{
            LTI + "message_type": "LtiDeepLinkingRequest",
            LTI + "roles": [INSTRUCTOR],
            LTI + "resource_link": DROP,
            SETTINGS: dl_settings or settings(),
            **overrides,
        },
    )
    return platform.launch(browser, url, platform.sign(body), login.state)


def link_launch(
    browser: requests.Session,
    url: str,
    platform: TestPlatform,
    custom: dict[str, str],
    link_id: str = "placed-link-1",
    **overrides: Any,
) -> requests.Response:
    """A resource-link launch of a link the platform made from a content item."""
    login = platform.login(browser, url)
    body = platform.claims(
        login.nonce,
        **{LTI + "resource_link": {"id": link_id, "title": "Placed"}, LTI + "custom": custom},
        **overrides,
    )
    return platform.launch(browser, url, platform.sign(body), login.state)


def landing(response: requests.Response) -> tuple[str, str | None]:
    """Where a launch sent the browser: the path, and the placement it opened (if any)."""
    assert response.status_code == 303, response.text
    where = urlsplit(response.headers["Location"])
    placement = parse_qs(where.query).get("placement_id")
    return where.path, placement[0] if placement else None


@dataclass
class Control:
    tag: str
    type: str
    name: str
    value: str
    checked: bool
    options: list[str] = field(default_factory=list)  # a select's option values


@dataclass
class Form:
    action: str
    method: str
    controls: list[Control] = field(default_factory=list)
    id: str = ""

    def names(self, kind: str | None = None) -> list[str]:
        return [c.name for c in self.controls if kind is None or c.type == kind]

    def values(self) -> list[tuple[str, str]]:
        """What a browser submits without changes: every field, checked boxes only."""
        return [
            (c.name, c.value)
            for c in self.controls
            if c.type not in {"checkbox", "radio", "submit"} or c.checked
        ]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.scripts: list[str] = []
        self._in_script = self._in_textarea = False
        self._select: Control | None = None
        # Buttons outside their form (`form="id"`), each its own submission where it names
        # another action (`formaction`), as a browser sends them: resolved once all is read.
        self._owned: list[tuple[str, str, Control]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                Form(a.get("action", ""), a.get("method", "get").lower(), id=a.get("id", ""))
            )
        elif tag == "button" and a.get("form") and a.get("name"):
            control = Control(tag, a.get("type", "submit"), a["name"], a.get("value", ""), False)
            self._owned.append((a["form"], a.get("formaction", ""), control))
        elif tag in {"input", "button", "textarea", "select"} and self.forms and a.get("name"):
            default = {"input": "text", "button": "submit"}.get(tag, tag)
            kind = a.get("type", default) if tag in {"input", "button"} else default
            control = Control(tag, kind, a["name"], a.get("value", ""), "checked" in a)
            self.forms[-1].controls.append(control)
            self._select = control if tag == "select" else None
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a or len(self._select.options) == 1:
                self._select.value = a.get("value", "")
        self._in_script = tag == "script"
        self._in_textarea = tag == "textarea" and bool(self.forms) and bool(a.get("name"))

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        if self._in_textarea:
            self.forms[-1].controls[-1].value += data

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_textarea = False
        if tag == "select":
            self._select = None


def parse(page: str) -> _Forms:
    parser = _Forms()
    parser.feed(page)
    by_id = {form.id: form for form in parser.forms if form.id}
    for owner, action, control in parser._owned:
        form = by_id.get(owner)
        if form is not None:
            parser.forms.append(Form(action or form.action, form.method, [*form.controls, control]))
    return parser


def open_picker(
    browser: requests.Session, url: str, launch: requests.Response
) -> tuple[requests.Response, Form]:
    """Follow the launch to the picker; its form that adds content."""
    assert launch.status_code == 303, launch.text
    location = launch.headers["Location"]
    assert "/deep-linking/" in location, location
    page = browser.get(urljoin(url + "/", location))
    assert page.status_code == 200, page.text
    [form] = [f for f in parse(page.text).forms if "kind" in f.names()]
    return page, form


def submit(
    browser: requests.Session,
    url: str,
    form: Form,
    kinds: list[str] | None = None,
    **fields: str,
) -> requests.Response:
    """Post the picker as a browser would, choosing `kinds` and changing `fields`."""
    data = [(k, v) for k, v in form.values() if k != "kind" and k not in fields]
    chosen = kinds if kinds is not None else [v for k, v in form.values() if k == "kind"]
    data += [("kind", kind) for kind in chosen] + list(fields.items())
    return browser.post(urljoin(url + "/", form.action), data=data, allow_redirects=False)


def returned(response: requests.Response) -> tuple[str, str]:
    """The auto-submitting form's target and the JWT it posts."""
    assert response.status_code == 200, response.text
    page = parse(response.text)
    [form] = page.forms
    assert form.method == "post"
    assert form.names() == ["JWT"]
    assert any("submit()" in script for script in page.scripts), "the form must post itself"
    return html.unescape(form.action), form.controls[0].value


def verify(url: str, token: str, client_id: str, issuer: str) -> tuple[dict[str, Any], str]:
    """The response's claims and kid, verified with jwcrypto against Rapport's JWKS over HTTP."""
    jwks = requests.get(url + "/lti/jwks.json", timeout=10)
    assert jwks.status_code == 200
    keys = JWKSet.from_json(jwks.text)
    checked = JWT(
        jwt=token,
        key=keys,
        algs=["RS256"],
        check_claims={"iss": client_id, "aud": issuer, "exp": None, "iat": None, "nonce": None},
    )
    header = json.loads(checked.header)
    assert header["alg"] == "RS256"
    claims: dict[str, Any] = json.loads(checked.claims)
    return claims, header["kid"]
