"""A request's database session at its end (`db.end_request`): a transaction that only read is
committed, one that wrote and was not committed is rolled back. On PostgreSQL the difference
shows: psycopg forgets a connection's prepared statements at every rollback, so pages that
ended in one planned every statement anew on every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.orm import Session

from lti_tool.db import end_request, utcnow
from lti_tool.models import Person
from tests.conftest import state
from tests.databases import TEST_DATABASE_URL
from tests.services.grades.test_service import make_registration


def _ended(app: Any, work: Callable[[Session, int], object], failed: bool = False) -> bool:
    """Run `work` in a request's session and end it; whether the end was a commit."""
    sessions = state(app).sessions
    with sessions() as setup:
        registration_id = make_registration(setup).id
        setup.commit()
    session = sessions()
    work(session, registration_id)
    commits: list[bool] = []
    event.listen(session, "after_commit", lambda _s: commits.append(True))
    end_request(session, failed=failed)
    return bool(commits)


def _people(app: Any) -> list[str]:
    with state(app).sessions() as session:
        return list(session.scalars(select(Person.name).order_by(Person.name)))


def _person(registration_id: int, name: str) -> Person:
    now = utcnow()
    return Person(
        registration_id=registration_id, sub=name, name=name, created_at=now, updated_at=now
    )


def test_a_request_that_only_read_ends_in_a_commit(app):
    assert _ended(app, lambda session, _r: session.scalars(select(Person)).all())


def test_a_request_that_failed_is_rolled_back_though_it_only_read(app):
    assert not _ended(app, lambda s, _r: s.scalars(select(Person)).all(), failed=True)


def test_a_request_whose_connection_was_lost_is_rolled_back_without_an_error(app):
    """The database went away during the request: the error handler has answered 503, and the
    end of the request must not fail again (as a 500) trying to commit on the lost connection."""

    def work(session: Session, _registration_id: int) -> None:
        session.scalars(select(Person)).all()
        session.connection().invalidate()

    assert not _ended(app, work)


def test_what_a_request_flushed_and_did_not_commit_is_rolled_back(app):
    def work(session: Session, registration_id: int) -> None:
        session.add(_person(registration_id, "Ada"))
        session.flush()

    assert not _ended(app, work)
    assert _people(app) == []


def test_what_a_request_added_and_did_not_flush_is_rolled_back(app):
    assert not _ended(app, lambda s, r: s.add(_person(r, "Ada")))
    assert _people(app) == []


def test_what_a_request_wrote_by_statement_and_did_not_commit_is_rolled_back(app):
    def work(session: Session, registration_id: int) -> None:
        now = utcnow()
        row = {"registration_id": registration_id, "sub": "b", "name": "Ben"}
        session.execute(insert(Person).values(**row, created_at=now, updated_at=now))
        session.commit()  # a commit, and then a second transaction that writes
        session.execute(update(Person).values(name="Changed"))

    assert not _ended(app, work)
    assert _people(app) == ["Ben"]


def test_a_commit_forgets_that_an_earlier_transaction_wrote(app):
    def work(session: Session, registration_id: int) -> None:
        session.add(_person(registration_id, "Ada"))
        session.commit()
        session.scalars(select(Person)).all()

    assert _ended(app, work)
    assert _people(app) == ["Ada"]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="prepared statements: PostgreSQL's psycopg")
def test_a_page_asked_for_again_runs_statements_prepared_on_its_connection(tool, platform):
    """psycopg prepares a statement it has run 5 times on a connection; a rollback in between
    (a request's end, /healthz) made it forget them all, and none was ever prepared."""
    app, url = tool
    browser = requests.Session()
    launched = platform.full_launch(browser, url, sub="student")
    checkins = url + launched.headers["Location"] + "checkins/"  # a page that only reads
    for _ in range(7):
        assert browser.get(checkins).status_code == 200
        assert requests.get(url + "/healthz", timeout=10).status_code == 200
    engine = state(app).engine
    assert engine.pool.checkedin() == 1  # one request at a time: always the same connection
    with engine.connect() as connection:
        prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements"))
        statements = list(prepared.scalars())
    assert any("FROM membership" in statement for statement in statements), statements
