"""Driving the demo LMS as a browser and as the tool would: forms, the OIDC flow, tokens."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import jwt
import requests
from flask import Flask

from lti_tool.demo import DemoPlatform, demo_platform

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.iframes: list[str] = []
        self.new_windows: list[str] = []  # links that open in a new window

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "iframe":
            self.iframes.append(a.get("src", ""))
        elif tag == "a" and a.get("target") == "_blank":
            self.new_windows.append(a.get("href", ""))


def parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def only_form(response: requests.Response) -> Form:
    assert response.status_code == 200, response.text
    forms = parse_page(response.text).forms
    assert len(forms) == 1, forms
    return forms[0]


@dataclass
class Launch:
    login: requests.Response  # the tool's answer to the login initiation
    auth: requests.Response  # the demo LMS's answer to the OIDC auth request
    launch: requests.Response  # the tool's answer to the id_token
    id_token: str

    @property
    def claims(self) -> dict[str, Any]:
        return jwt.decode(self.id_token, options={"verify_signature": False})


def start_document_url(browser: requests.Session, url: str, person_id: str, **query: str) -> str:
    """Open the LMS page for a person and return the iframe's first document."""
    page = browser.get(f"{url}/demo/launch/{person_id}", params=query)
    assert page.status_code == 200, page.text
    frames = parse_page(page.text).iframes
    assert len(frames) == 1
    return urljoin(page.url, frames[0])


def new_window_url(browser: requests.Session, url: str, person_id: str, **query: str) -> str:
    """Open the LMS page for a person and return its "Open in a new window" link."""
    page = browser.get(f"{url}/demo/launch/{person_id}", params=query)
    links = parse_page(page.text).new_windows
    assert len(links) == 1
    return urljoin(page.url, links[0])


STORAGE_JSON = re.compile(r'<script type="application/json" id="lti-storage">(.*?)</script>', re.S)


def auth_url(login: requests.Response) -> str:
    """Where the tool's login sends the browser: its redirect, or (the demo offers platform
    storage) the page that puts the login state with the LMS page and then goes on there;
    this browser keeps cookies, so the state cookie is all the launch needs."""
    if login.status_code == 302:
        return login.headers["Location"]
    assert login.status_code == 200, login.text
    found = STORAGE_JSON.search(login.text)
    assert found, login.text
    config = json.loads(found.group(1))
    assert config["mode"] == "put" and config["target"] == "_parent"
    return str(config["next"])


def launch_as(
    browser: requests.Session, url: str, person_id: str, new_window: bool = False, **query: str
) -> Launch:
    """The whole flow, as a browser follows it: LMS page, iframe, login, auth, launch."""
    first = new_window_url if new_window else start_document_url
    start = browser.get(first(browser, url, person_id, **query))
    login_form = only_form(start)
    assert login_form.action.endswith("/lti/login")  # Rapport's, at url or on its own host
    login = browser.post(login_form.action, data=login_form.fields, allow_redirects=False)
    auth = browser.get(auth_url(login))
    auth_form = only_form(auth)
    launch = browser.post(auth_form.action, data=auth_form.fields, allow_redirects=False)
    return Launch(login, auth, launch, auth_form.fields["id_token"])


def platform(app: Flask) -> DemoPlatform:
    return demo_platform(app)


def client_assertion(
    app: Flask, url: str, key: Any = None, kid: str | None = None, **overrides: Any
) -> str:
    signer = app.extensions["rapport"].keyring.current()
    now = int(time.time())
    claims = {
        "iss": "rapport-demo",
        "sub": "rapport-demo",
        "aud": url + "/demo/token",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    return jwt.encode(
        claims, key or signer.private_key, algorithm="RS256", headers={"kid": kid or signer.kid}
    )


def request_token(
    url: str, assertion: str, scope: str = AGS + "score", grant_type: str = "client_credentials"
) -> requests.Response:
    return requests.post(
        url + "/demo/token",
        data={
            "grant_type": grant_type,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
            "scope": scope,
        },
    )


def access_token(app: Flask, url: str, *scopes: str) -> str:
    response = request_token(url, client_assertion(app, url), " ".join(scopes))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}
