"""A running Rapport with its demo LMS on, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def demo_lms(live: Any) -> tuple[Flask, str]:
    app, url = live(demo=True)
    return app, url
