"""Starting the demo LMS: off by default, registered as a platform once, never on what looks
like a production URL unless forced, and its key made once."""

from __future__ import annotations

import stat

import pytest
import requests
from sqlalchemy import select

from lti_tool.migrate import upgrade
from lti_tool.models import Registration
from tests.conftest import state
from tests.demo.flow import launch_as, platform


def _registrations(app):
    """(issuer, client_id, login URL, token URL, key set URL, deployment ids) of each platform."""
    with state(app).sessions() as session:
        return [(r.issuer, r.client_id, r.auth_login_url, r.auth_token_url, r.key_set_url,
                 [d.deployment_id for d in r.deployments])
                for r in session.scalars(select(Registration))]


def test_refuses_to_start_on_a_production_https_url(make_app):
    with pytest.raises(RuntimeError, match="RAPPORT_DEMO_FORCE=1"):
        make_app(demo=True, public_url="https://rapport.example.edu")


@pytest.mark.parametrize("public_url", ["https://localhost:5000", "https://127.0.0.1:8443",
                                        "https://[::1]:5000", "http://rapport.example.edu"])
def test_starts_on_local_or_plain_http_urls(make_app, public_url):
    app = make_app(demo=True, public_url=public_url)
    assert platform(app).issuer == public_url + "/demo"


def test_starts_on_a_production_url_when_forced(make_app):
    app = make_app(demo=True, demo_force=True, public_url="https://rapport.example.edu")
    app.test_client().get("/demo")
    [row] = _registrations(app)
    assert row[0] == "https://rapport.example.edu/demo"


def test_registers_itself_on_its_first_request_once_however_often_it_starts(make_app):
    first = make_app(demo=True)
    assert _registrations(first) == []  # an app starts without touching its database
    second = make_app(demo=True)
    for app in (first, second, first):
        assert app.test_client().get("/demo").status_code == 200
    issuer = platform(first).issuer
    assert _registrations(first) == [(issuer, "rapport-demo", issuer + "/auth", issuer + "/token",
                                      issuer + "/jwks.json", ["demo-deployment-1"])]


@pytest.mark.first_start
def test_key_is_made_once_private_and_kept(make_app, tmp_path):
    first = make_app(demo=True)
    second = make_app(demo=True)
    path = tmp_path / "instance" / "demo" / "platform-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert platform(first).key.kid == platform(second).key.kid
    assert platform(first).key.jwks() == platform(second).key.jwks()


def test_without_tables_it_waits_and_registers_on_the_first_page(make_app, live, browser):
    app, url = live(demo=True, create_schema=False)
    assert platform(app).registered is False
    refused = requests.get(url + "/demo")
    assert refused.status_code == 503
    assert "rapport db upgrade" in refused.text
    upgrade(state(app).settings.database_url)
    assert requests.get(url + "/demo").status_code == 200
    assert platform(app).registered is True
    assert launch_as(browser, url, "student-amara-okafor").launch.status_code == 303


def test_state_survives_a_restart(make_app):
    first = make_app(demo=True)
    platform(first).store.count("token_requests")
    second = make_app(demo=True)
    assert platform(second).store.counter("token_requests") == 1
