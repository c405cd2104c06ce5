"""Each test of the activity log gets a course of its own (see `world`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import state
from tests.services.audit.world import World, build_world


@pytest.fixture
def world(app: Any) -> World:
    return build_world(state(app).sessions)
