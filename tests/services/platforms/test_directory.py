"""The per-process platform directory: what it keeps, and every way a change reaches it."""

from __future__ import annotations

from cachelib import SimpleCache
from sqlalchemy import update

from lti_tool.db import transaction
from lti_tool.models import Registration
from lti_tool.services.platforms.directory import MAX_AGE_SECONDS, PlatformDirectory
from lti_tool.services.platforms.service import (
    PlatformSpec,
    approve_platform,
    import_platform,
    remove_platform,
    save_platform,
)
from tests.conftest import state
from tests.functional.roster.test_people import statements_for
from tests.platform import TestPlatform

SPEC = PlatformSpec(**{**TestPlatform(deployment_id="d1").registration()})
CLIENT = SPEC.client_id


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _statements(app, find):
    return statements_for(app, find)


def _find(app, directory, issuer=SPEC.issuer, client_id=CLIENT):
    with state(app).sessions() as session:
        return directory.find(session, directory.current(), issuer, client_id)


def test_a_registration_is_read_once_per_stamp_and_age(app):
    with transaction(state(app).sessions) as session:
        save_platform(session, SPEC)
    clock = Clock()
    directory = PlatformDirectory(SimpleCache(), clock)
    found, statements = _statements(app, lambda: _find(app, directory))
    assert (found.client_id, found.deployments.keys(), statements) == (CLIENT, {"d1"}, 1)
    assert _statements(app, lambda: _find(app, directory))[1] == 0
    assert _statements(app, lambda: _find(app, directory, client_id=None))[1] == 1
    assert _find(app, directory, issuer="https://other.example") is None
    assert _statements(app, lambda: _find(app, directory, issuer="https://other.example"))[1] == 0
    clock.now += MAX_AGE_SECONDS + 1  # a change no commit announced is picked up in time
    assert _statements(app, lambda: _find(app, directory))[1] == 1


def test_every_writer_of_registrations_announces_its_commit_to_every_process(app):
    """The app's own directory and a second process's (one sharing the app's cache) both see
    each change: ORM writes, INSERT … ON CONFLICT, UPDATE statements and deletes."""
    shared = app.extensions["cache"][next(iter(app.extensions["cache"]))]
    other = PlatformDirectory(shared)
    sessions = state(app).sessions
    changes = [
        lambda s: save_platform(s, SPEC),
        lambda s: import_platform(s, PlatformSpec(**{**SPEC.__dict__, "deployment_ids": ["d2"]})),
        lambda s: s.execute(update(Registration).values(status="pending")),
        lambda s: approve_platform(s, SPEC.issuer, CLIENT),
        lambda s: remove_platform(s, SPEC.issuer, CLIENT, "d1"),
        lambda s: remove_platform(s, SPEC.issuer, CLIENT),
    ]
    seen = []
    for change in changes:
        _find(app, other)  # kept under the stamp as it was
        with transaction(sessions) as session:
            change(session)
        found = _find(app, other)
        seen.append(None if found is None else (found.status, sorted(found.deployments)))
    assert seen == [
        ("active", ["d1"]),
        ("active", ["d1", "d2"]),
        ("pending", ["d1", "d2"]),
        ("active", ["d1", "d2"]),
        ("active", ["d2"]),
        None,
    ]


def test_a_rolled_back_change_announces_nothing(app):
    with transaction(state(app).sessions) as session:
        save_platform(session, SPEC)
    shared = app.extensions["cache"][next(iter(app.extensions["cache"]))]
    stamp = shared.get("platforms:stamp")
    with state(app).sessions() as session:
        session.execute(update(Registration).values(status="pending"))
        session.rollback()
        session.commit()
    assert shared.get("platforms:stamp") == stamp
