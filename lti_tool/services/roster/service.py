"""Keeping a course's roster in step with the platform over NRPS 2.0 (§2.3 members and status,
§2.4.1 paging).

A sync reads every page of the membership container and writes each page with three
statements — the lease renewal, one INSERT … ON CONFLICT … RETURNING for the people and one for
their memberships (per 1,000 members; see `rows`) — never a query per member. Members the
complete roster no longer lists become inactive, never deleted: their threads and check-ins
stay. Names are never overwritten with nothing, so a privacy-limited roster keeps the name a
launch brought, and `Person.name_as` shows "Student 4f2a" until one arrives. A person whose data
was erased is left out while the LMS still lists them (`lti_tool.services.privacy.erasures`):
what was erased does not come back with the next sync (one more query per page, once anyone
was ever erased).

Two workers never sync one course at once: `claim_roster_sync` takes a lease on
`course.roster_sync_started_at` with one conditional UPDATE, the sync renews it with every
page and gives up as soon as someone else holds it. Every value arrives explicitly, so a sync
runs in a job (lti_tool.tasks) as well as in a test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import utcnow
from lti_tool.i18n import KeptReason, _, keep, ngettext, shown
from lti_tool.lti.nrps import RosterMember, RosterPage
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceError
from lti_tool.models import Course, Membership, Registration
from lti_tool.observability.events import roster_synced
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import AuditAction, AuditFacts, record, register_action
from lti_tool.services.dashboard.tracking import members_changed
from lti_tool.services.privacy.erasures import any_erasures, without_erased
from lti_tool.services.roster.rows import deactivate_absent, upsert_memberships, upsert_people

DEFAULT_INTERVAL = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # renewed with every page: only a stuck sync loses it
FAILURE_RETRY = timedelta(minutes=5)  # launches retry a failed sync no sooner than this
MIN_REFRESH_GAP = timedelta(minutes=1)  # the Refresh button's rate limit, per course
CHUNK = 1_000  # rows per statement: well inside SQLite's and PostgreSQL's parameter limits
MAX_ERROR_CHARS = 2_000  # a failed sync's words kept for staff (`Course.roster_sync_error`)


class RosterSource(Protocol):
    def pages(self, platform: PlatformEndpoint, memberships_url: str) -> Iterable[RosterPage]: ...


class LeaseLostError(KeptReason):
    """Another worker took over this course's sync (ours was stuck past the lease); `kept` is
    it as `keep` stores it, `str()` in English."""


@dataclass(frozen=True)
class RosterState:
    """What staff see about the roster of a course."""

    shared: bool  # the platform offers NRPS for this course
    synced_at: datetime | None
    running: bool
    error: str | None  # why the last sync failed, in the reader's language
    refresh_allowed: bool


@dataclass(frozen=True)
class RosterSyncResult:
    course_id: int
    pages: int = 0
    members: int = 0
    deactivated: int = 0
    error: str | None = None


def can_refresh_roster(grant: CourseGrant) -> bool:
    return grant.is_staff


def _refreshed(facts: AuditFacts) -> str:
    listed, joined, left = (facts.number(key) for key in ("listed", "joined", "left"))
    return _(
        "refreshed the roster from the LMS: %(listed)s, %(joined)s, %(left)s",
        listed=ngettext("%(num)d member listed", "%(num)d members listed", listed),
        joined=ngettext("%(num)d new", "%(num)d new", joined),
        left=ngettext("%(num)d no longer in the course", "%(num)d no longer in the course", left),
    )


# Who is in the course is the LMS's to say; a refresh staff asked for brings Rapport in step
# sooner, and is logged with what it changed. The syncs launches start are Rapport's own.
ROSTER_REFRESHED = register_action(AuditAction("roster.refreshed", _refreshed))


def _running(course: Course, now: datetime) -> bool:
    started = course.roster_sync_started_at
    return started is not None and not course.roster_sync_error and now - started < LEASE


def roster_is_stale(course: Course, now: datetime, interval: timedelta = DEFAULT_INTERVAL) -> bool:
    """Whether a staff launch should start a sync: never while one runs, and a failed one is
    retried only after a pause, so a broken platform is not asked on every launch."""
    if not course.nrps_url or _running(course, now):
        return False
    started = course.roster_sync_started_at
    if course.roster_sync_error and started and now - started < min(interval, FAILURE_RETRY):
        return False
    return course.roster_synced_at is None or now - course.roster_synced_at >= interval


def roster_refresh_allowed(course: Course, now: datetime) -> bool:
    """The Refresh button: not while a sync runs, and once a minute at most."""
    if not course.nrps_url or _running(course, now):
        return False
    last = [t for t in (course.roster_synced_at, course.roster_sync_started_at) if t]
    return not last or now - max(last) >= MIN_REFRESH_GAP


def roster_state(course: Course, now: datetime) -> RosterState:
    return RosterState(
        shared=bool(course.nrps_url),
        synced_at=course.roster_synced_at,
        running=_running(course, now),
        error=shown(course.roster_sync_error) or None,
        refresh_allowed=roster_refresh_allowed(course, now),
    )


def claim_roster_sync(
    session: Session, course_id: int, now: datetime, *, synced_before: datetime
) -> datetime | None:
    """Take the course's sync lease in one conditional UPDATE; the caller commits.

    Returns the lease (its start time) or None when a sync runs or the roster is fresher
    than `synced_before`. On PostgreSQL a second claimer waits for the first one's row lock
    and then finds the lease taken.
    """
    claimed = session.execute(
        update(Course)
        .where(
            Course.id == course_id,
            Course.nrps_url.is_not(None),
            or_(
                Course.roster_sync_started_at.is_(None),
                Course.roster_sync_error.is_not(None),
                Course.roster_sync_started_at < now - LEASE,
            ),
            or_(Course.roster_synced_at.is_(None), Course.roster_synced_at < synced_before),
        )
        .values(roster_sync_started_at=now, roster_sync_error=None)
        .execution_options(synchronize_session=False)
    )
    return now if _rowcount(claimed) == 1 else None


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


@dataclass(frozen=True)
class _Target:
    registration_id: int
    issuer: str
    platform: PlatformEndpoint
    url: str
    erasures: bool  # anyone was ever erased: members are checked against them


class RosterSync:
    """One course's sync, run with the lease `claim_roster_sync` returned. `erasure_key` is
    the application's secret, which erasures hash people's identities with."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        source: RosterSource,
        clock: Callable[[], datetime] = utcnow,
        *,
        erasure_key: str,
    ) -> None:
        self.sessions = sessions
        self.source = source
        self.clock = clock
        self.erasure_key = erasure_key

    def run(
        self, course_id: int, lease: datetime, started_by: int | None = None
    ) -> RosterSyncResult:
        """Sync the course under `lease`; a sync a member of staff asked for (`started_by`) is
        logged in the course's activity log when it completes."""
        held = lease
        pages = members = 0
        try:
            target = self._target(course_id)
            for page in self.source.pages(target.platform, target.url):
                held = self._write_page(course_id, target, page.members, lease, held)
                pages += 1
                members += len(page.members)
            deactivated = self._finish(course_id, lease, held, members, started_by)
        except (ServiceError, LeaseLostError) as exc:
            self._fail(course_id, held, exc.kept)
            roster_synced(course_id, members, str(exc))
            return RosterSyncResult(course_id, pages, members, error=str(exc))
        except Exception:
            self._fail(
                course_id, held, keep("Rapport could not read the roster (an internal error).")
            )
            roster_synced(course_id, members, "an internal error")  # i18n: not translated (a log)
            raise
        roster_synced(course_id, members, None)
        return RosterSyncResult(course_id, pages, members, deactivated)

    def _target(self, course_id: int) -> _Target:
        with self.sessions() as session:
            course = session.get(Course, course_id)
            registration = session.get(Registration, course.registration_id) if course else None
            if course is None or registration is None or not course.nrps_url:
                raise ServiceError(
                    keep("this course's LMS does not offer its roster (no NRPS claim)")
                )
            return _Target(
                registration.id,
                registration.issuer,
                PlatformEndpoint.of(registration),
                course.nrps_url,
                any_erasures(session),
            )

    def _write_page(
        self,
        course_id: int,
        target: _Target,
        members: Sequence[RosterMember],
        lease: datetime,
        held: datetime,
    ) -> datetime:
        now = self.clock()
        unique = list({m.user_id: m for m in members}.values())  # one row per person and page
        with self.sessions() as session, session.begin():
            renewed = _renew_lease(session, course_id, held, now)
            for start in range(0, len(unique), CHUNK):
                chunk = unique[start : start + CHUNK]
                if target.erasures:
                    chunk = without_erased(
                        session, self.erasure_key, target.issuer, target.registration_id, chunk
                    )
                    if not chunk:
                        continue
                ids = upsert_people(session, target.registration_id, chunk, now)
                upsert_memberships(session, course_id, chunk, ids, seen_at=lease, now=now)
        return renewed

    def _finish(
        self, course_id: int, lease: datetime, held: datetime, members: int, by: int | None
    ) -> int:
        now = self.clock()
        with self.sessions() as session, session.begin():
            _renew_lease(session, course_id, held, now)
            # An empty roster is a platform fault, not a course everyone left.
            deactivated = deactivate_absent(session, course_id, lease) if members else 0
            members_changed(session, course_id)  # the pages' bulk upserts bypass the session
            if by is not None:
                joined = session.scalar(
                    select(func.count())
                    .select_from(Membership)
                    .where(Membership.course_id == course_id, Membership.created_at >= lease)
                )
                details = {"listed": members, "joined": int(joined or 0), "left": deactivated}
                record(session, course_id, by, ROSTER_REFRESHED, details=details, now=now)
            session.execute(
                update(Course)
                .where(Course.id == course_id)
                .values(roster_synced_at=now, roster_sync_started_at=None, roster_sync_error=None)
                .execution_options(synchronize_session=False)
            )
        return deactivated

    def _fail(self, course_id: int, held: datetime, message: str) -> None:
        """Keep the platform's words for staff (`message` as `keep` makes it, shown in each
        reader's language); the start time stays as the failed attempt's."""
        with self.sessions() as session, session.begin():
            members_changed(session, course_id)  # the pages written before it failed
            session.execute(
                update(Course)
                .where(Course.id == course_id, Course.roster_sync_started_at == held)
                .values(roster_sync_error=within(message, MAX_ERROR_CHARS))
                .execution_options(synchronize_session=False)
            )


def _renew_lease(session: Session, course_id: int, held: datetime, now: datetime) -> datetime:
    renewed = session.execute(
        update(Course)
        .where(
            Course.id == course_id,
            Course.roster_sync_started_at == held,
            Course.roster_sync_error.is_(None),
        )
        .values(roster_sync_started_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(renewed) != 1:
        raise LeaseLostError(keep("another roster sync of this course took over"))
    return now


def within(message: str, limit: int) -> str:
    """`message` in at most `limit` characters: a kept one (`lti_tool.i18n.keep`) stays whole
    JSON, its values cut (the longest first, nested ones too) until it fits; other text is cut."""
    if len(message) <= limit:
        return message
    try:
        data = json.loads(message)
        said, values = str(data["said"]), dict(data["values"])
    except (ValueError, KeyError, TypeError):
        return message[:limit]

    def cut(longest: int) -> str:
        return keep(said, **{k: within(str(v), longest) for k, v in values.items()})

    low, high = 0, max((len(str(v)) for v in values.values()), default=0)
    if len(cut(low)) > limit:
        return message[:limit]  # the sentence alone is longer than the column: never the case
    while low < high:  # the longest cut that fits
        middle = (low + high + 1) // 2
        low, high = (middle, high) if len(cut(middle)) <= limit else (low, middle - 1)
    return cut(low)
