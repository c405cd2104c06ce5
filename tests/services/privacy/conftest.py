"""Each privacy test gets the two courses of `world.py`, with everything written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import state
from tests.services.privacy.world import World, build_world, write_everything


@pytest.fixture
def world(app: Any) -> World:
    built = build_world(state(app).sessions)
    write_everything(built)
    return built
