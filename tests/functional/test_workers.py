"""Several gunicorn worker processes share launch state: a nonce is used up once, anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import register
from tests.servers import free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture
def gunicorn_tool(make_app, platform, tmp_path):
    app = make_app()  # creates the schema, keys and instance folder the workers share
    register(app, platform)
    port = free_port()
    env = {
        **os.environ,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SECRET_KEY": "shared-between-workers",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(GUNICORN), "-w", "3", "-b", f"127.0.0.1:{port}", "lti_tool:create_app()"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text())
    yield url
    process.terminate()
    process.wait(10)


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
