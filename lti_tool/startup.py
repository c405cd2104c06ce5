"""Work done once when the app starts: importing LTI_CONFIG (idempotently)."""

from __future__ import annotations

import logging

from flask import Flask

from lti_tool.db import transaction
from lti_tool.extensions import Rapport
from lti_tool.services.platforms.service import import_platforms_file

log = logging.getLogger(__name__)


def import_lti_config(app: Flask) -> None:
    state: Rapport = app.extensions["rapport"]
    path = state.settings.lti_config
    assert path is not None
    with transaction(state.sessions) as session:
        rows = import_platforms_file(session, path)
    log.info("imported %d platform registration(s) from %s", len(rows), path)
