"""The course Rapport exists for, written into a database for benchmarks: 5,000 students.

    .venv/bin/python -m benchmarks.seed [--students 5000] [--database URL]

The database (DATABASE_URL, or --database) is emptied and migrated to head, as
`rapport db upgrade` leaves it; then one LMS registration, one course with two staff members
(as their launches would have left them) and the course's history as
`tests/functional/dashboard/seed.py` writes it: per student 20 feedback messages and 10 answers
to a weekly check-in (100,000 and 50,000 at 5,000 students), tutors, introductions with staff
replies, flags. On top, for the newsfeed's pages: a staff introduction and a news post that
every student has seen. Then vacuumed and analysed, as autovacuum leaves a database. Prints
what it wrote and how long it took (under a minute at 5,000 on PostgreSQL here).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lti_tool import create_app
from lti_tool.db import make_engine, transaction, utcnow
from lti_tool.migrate import upgrade
from lti_tool.models import (
    Course,
    FeedbackThread,
    Membership,
    Person,
    Post,
    PostKind,
    PostView,
    Registration,
)
from lti_tool.models.course import CourseRole
from tests.functional.dashboard.seed import seed_course

STUDENTS = 5_000
MESSAGES_EACH, RESPONSES_EACH = 20, 10
LMS = {
    "issuer": "https://lms.example.edu",
    "client_id": "bench",
    "auth_login_url": "https://lms.example.edu/auth",
    "auth_token_url": "https://lms.example.edu/token",
}
STAFF = ("Margaret Chen", "Tomás Rivera")
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


@dataclass(frozen=True)
class BenchCourse:
    """What a benchmark needs to know of the seeded course to ask for its pages."""

    course_id: int
    staff_ids: list[int]
    checkin_id: int
    thread_id: int
    post_id: int
    students: int
    rows: dict[str, int]
    seconds: float


def empty_database(url: str) -> None:
    """Nothing left of earlier runs: PostgreSQL's public schema made again, a SQLite file
    removed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and os.path.exists(parsed.database):
            os.remove(parsed.database)
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(url: str, students: int = STUDENTS, now: datetime | None = None) -> BenchCourse:
    """Empty and migrate the database at `url`, then seed the course."""
    now = now or utcnow()
    started = time.perf_counter()
    empty_database(url)
    upgrade(url)
    app = create_app({"testing": True, "database_url": url, "jobs_backend": "memory"})
    sessions = app.extensions["rapport"].sessions
    with transaction(sessions) as session:
        lms = Registration(**LMS)
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="bench", title="Benchmark course")
        staff = [
            Person(registration_id=lms.id, sub=f"staff-{n}", name=name)
            for n, name in enumerate(STAFF)
        ]
        session.add_all([course, *staff])
        session.flush()
        session.add_all(
            Membership(
                course_id=course.id, person_id=p.id, role=CourseRole.STAFF, lti_roles=[INSTRUCTOR]
            )
            for p in staff
        )
        course_id, staff_ids = course.id, [p.id for p in staff]
    seeded = seed_course(
        app,
        course_id,
        staff_ids,
        students,
        students * MESSAGES_EACH,
        students * RESPONSES_EACH,
        now,
    )
    with transaction(sessions) as session:
        post_id = _news_seen_by_everyone(session, course_id, staff_ids, now)
        thread_id = session.scalars(
            select(FeedbackThread.id).where(FeedbackThread.course_id == course_id).limit(1)
        ).one()
    _vacuumed(app.extensions["rapport"].engine)
    app.extensions["rapport"].engine.dispose()
    return BenchCourse(
        course_id,
        staff_ids,
        seeded.checkin_id,
        thread_id,
        post_id,
        students,
        dict(seeded.rows),
        time.perf_counter() - started,
    )


def _vacuumed(engine: Engine) -> None:
    """On PostgreSQL, what autovacuum does soon after a bulk load, for every table: statistics
    for the planner (the views written above have none yet) and the visibility map, without
    which an index-only scan reads the table after all. Timings then say what production's
    would."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def _news_seen_by_everyone(
    session: Session, course_id: int, staff_ids: list[int], now: datetime
) -> int:
    """A staff introduction and a news post, the news seen by every active student."""
    introduction = Post(
        course_id=course_id,
        author_id=staff_ids[0],
        kind=PostKind.INTRODUCTION,
        title="Hello from Margaret",
        body="I lead this course.",
        body_html="<p>I lead this course.</p>",
        publish_at=now - timedelta(days=60),
    )
    news = Post(
        course_id=course_id,
        author_id=staff_ids[0],
        kind=PostKind.NEWS,
        title="Week 8: the essay brief",
        body="The brief is up.",
        body_html="<p>The brief is up.</p>",
        publish_at=now - timedelta(days=3),
    )
    session.add_all([introduction, news])
    session.flush()
    students = session.scalars(
        select(Membership.person_id).where(
            Membership.course_id == course_id,
            Membership.role == CourseRole.STUDENT,
            Membership.active.is_(True),
        )
    ).all()
    rows = [
        {"post_id": news.id, "person_id": sid, "seen_at": now - timedelta(minutes=n % 4000)}
        for n, sid in enumerate(students)
    ]
    session.execute(insert(PostView), rows)
    return news.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.database:
        parser.error("give --database URL or set DATABASE_URL")
    course = build(args.database, args.students)
    rows = ", ".join(f"{n:,} {table}" for table, n in sorted(course.rows.items()))
    print(
        f"course {course.course_id}: {course.students:,} students ({rows})"
        f" in {course.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
