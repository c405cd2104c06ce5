"""Several gunicorn worker processes share launch state: a nonce is used up once, anywhere."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import register
from tests.servers import gunicorn, server_process


@pytest.fixture
def gunicorn_tool(make_app, platform, tmp_path):
    app = make_app()  # creates the schema, keys and instance folder the workers share
    register(app, platform)
    env = {"SECRET_KEY": "shared-between-workers"}
    with server_process(gunicorn("-w", "3"), env, tmp_path / "gunicorn.log") as server:
        yield server.url


def test_replayed_launch_is_accepted_once_across_workers(gunicorn_tool, platform, browser):
    url = gunicorn_tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce))
    cookies = browser.cookies.get_dict()

    def attempt(_: int) -> int:
        return requests.post(
            url + "/lti/launch",
            data={"id_token": token, "state": login.state},
            cookies=cookies,
            allow_redirects=False,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(attempt, range(12)))
    assert statuses.count(303) == 1, statuses
    assert sorted(set(statuses) - {303}) == [403]


def test_login_on_one_worker_launch_on_another(gunicorn_tool, platform):
    url = gunicorn_tool
    for n in range(6):  # new connections land on different workers
        browser = requests.Session()
        login = platform.login(browser, url)
        token = platform.sign(platform.claims(login.nonce, sub=f"w{n}"))
        response = platform.launch(browser, url, token, login.state)
        assert response.status_code == 303
        assert browser.get(url + response.headers["Location"]).status_code == 200
