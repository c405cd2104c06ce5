"""Erasing a person, without Flask: afterwards no column of any table holds their name, email,
picture, `sub` or words; what others wrote stays, and what they wrote with others keeps its
shape; everything happens in one transaction, or nothing does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_tool.models import (
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Person,
    PersonErasure,
    Post,
    PostKind,
    Reply,
    Snippet,
    StudentSummary,
    TutorAllocation,
)
from lti_tool.models.grades import DeliveryStatus, GradeDelivery
from lti_tool.services.grades.service import retry_failed
from lti_tool.services.privacy import erase as erasing
from lti_tool.services.privacy.erase import NOT_SENT, erase_person
from lti_tool.services.privacy.erasures import erasure_hash
from lti_tool.services.privacy.people import UnknownPerson
from tests.conftest import state
from tests.services.privacy.search import search, snapshot
from tests.services.privacy.world import GIVEN, IDENTITY, ISSUER, MARKERS, SUB, T0, World

KEY = "the app's secret"
LATER = T0.replace(day=20)


def erase(world: World, requested_by: str = "dpo@example.edu") -> None:
    with world.session() as session:
        erase_person(session, KEY, ISSUER, SUB, requested_by, LATER)


def test_no_column_of_any_table_holds_their_name_email_sub_or_words(app, world):
    engine = state(app).engine
    before = search(engine, IDENTITY + MARKERS)
    assert sorted(before.found) == sorted(IDENTITY + MARKERS)  # all there: the search finds

    erase(world)

    after = search(engine, IDENTITY + MARKERS)
    assert after.found == {}
    assert (after.tables, after.columns) == (before.tables, before.columns)
    assert after.tables >= 36  # the models' 35 tables and Alembic's own
    print(f"searched {after.tables} tables, {after.columns} text, varchar and JSON columns")


def test_what_they_wrote_with_others_keeps_its_shape(world):
    zeph = world.ids["Zephyrine"]
    with world.session() as session:
        shape = _threads(session, zeph)
    erase(world)
    with world.session() as session:
        person = session.get_one(Person, zeph)
        assert person.erased_at == LATER and person.sub.startswith("erased:")
        assert person.name_as("Student") == "Former student"
        assert person.name_as("Staff") == "Former member"
        after = _threads(session, zeph)
        assert [(t, [m[:2] for m in ms]) for t, ms in after] == [
            (t.replace("Zephyrine Quillfeather", "Former student").replace(GIVEN, "Former student"),
             [m[:2] for m in ms])
            for t, ms in shape
        ]  # fmt: skip
        assert {m[2] for _, ms in after for m in ms} == {""}  # every word of hers, and to her
        assert all(not m.active for m in session.scalars(select(Membership).where(
            Membership.person_id == zeph)))  # fmt: skip
        news = session.scalars(select(Post).where(Post.author_id == zeph)).one()
        assert (news.kind, news.title, news.body) == (PostKind.NEWS, None, "")
        under = session.scalars(select(Reply.body).where(Reply.post_id == news.id)).all()
        assert under == ["Chidi says thanks", ""]
        snippet = session.scalars(select(Snippet)).one()  # a course material: it stays
        assert snippet.body == "Keep going, {first_name}! — Former member"


def _threads(session, student_id: int) -> list[tuple[str, list[tuple[int, object, str]]]]:
    """Each thread with her, by title, with its messages' authors, times and words."""
    found = []
    for thread in session.scalars(
        select(FeedbackThread).where(FeedbackThread.student_id == student_id)
        .order_by(FeedbackThread.id)
    ):  # fmt: skip
        messages = session.execute(
            select(FeedbackMessage.author_id, FeedbackMessage.created_at, FeedbackMessage.body)
            .where(FeedbackMessage.thread_id == thread.id)
            .order_by(FeedbackMessage.id)
        ).all()
        found.append((thread.title, [tuple(m) for m in messages]))
    return found


def test_the_dashboard_and_gradebook_forget_them_too(world):
    zeph, chidi = world.ids["Zephyrine"], world.ids["Chidi"]
    erase(world)
    with world.session() as session:
        summary = session.get_one(StudentSummary, (world.poetry, zeph))
        assert (summary.name_key, summary.latest_text, summary.scores) == ("former student", "", [])
        assert not summary.active and not summary.flagged and summary.tutor_id is None
        hers = session.scalars(select(GradeDelivery).where(GradeDelivery.person_id == zeph)).all()
        assert [(d.score_given, d.comment, d.status, d.last_error) for d in hers] == [
            (8, None, DeliveryStatus.FAILED, NOT_SENT)
        ]
        # "Send again" leaves it: the LMS would need the `sub` that is gone.
        assert retry_failed(session, world.poetry, hers[0].activity_id) == 0
        given = session.scalars(
            select(GradeDelivery).where(GradeDelivery.person_id == chidi).order_by(GradeDelivery.id)
        ).all()  # the grade she gave Chidi, again with her edited words, then Margaret's
        assert [(d.score_given, d.comment, d.status) for d in given] == [
            (7, None, DeliveryStatus.SUPERSEDED),
            (7, None, DeliveryStatus.SUPERSEDED),
            (9, "Margaret agrees", DeliveryStatus.WAITING),
        ]
        current = session.scalars(
            select(TutorAllocation).where(TutorAllocation.ended_at.is_(None))
        ).all()
        assert current == []  # she was Chidi's tutor, and Margaret hers: both ended, both kept
        assert session.scalars(select(TutorAllocation)).all() != []


def _theirs(rows, person_ids: set[int], threads: set[int]):
    """Rows of a snapshot that are another student's: naming them in a person column, or
    messages of their conversations."""
    person_columns = ("person_id", "student_id", "author_id", "recipient_id")
    mine = {}
    for table, found in rows.items():
        for key, row in found.items():
            if (
                any(row.get(c) in person_ids for c in person_columns)
                or (table == "feedback_message" and row["thread_id"] in threads)
                or (table == "person" and row["id"] in person_ids)
            ):
                mine[(table, key)] = row
    return mine


def test_another_students_data_is_untouched(app, world):
    """Ben shares a course with her (a bulk start reached both); Chidi had her as his teacher:
    what is theirs stays as it was — but for Chidi's tutor, and the comment his grade carried,
    which were hers."""
    ben, chidi = world.ids["Ben"], world.ids["Chidi"]
    engine = state(app).engine
    with world.session() as session:
        bens = set(
            session.scalars(select(FeedbackThread.id).where(FeedbackThread.student_id == ben))
        )
    before = _theirs(snapshot(engine), {ben}, bens)
    chidis_words = _words_of(world, chidi)
    erase(world)
    assert _theirs(snapshot(engine), {ben}, bens) == before
    held = {"person", "membership", "student_summary", "feedback_thread", "feedback_message"}
    assert held | {"post_reply", "checkin_response"} <= {table for table, _ in before}
    assert _words_of(world, chidi) == chidis_words


def _words_of(world: World, person_id: int) -> list[str]:
    with world.session() as session:
        return [
            *session.scalars(
                select(FeedbackMessage.body).where(FeedbackMessage.author_id == person_id)
            ),
            *session.scalars(select(Reply.body).where(Reply.author_id == person_id)),
            *session.scalars(select(Post.body).where(Post.author_id == person_id)),
        ]


def test_the_erasure_keeps_who_asked_and_when_and_a_keyed_hash_only(world):
    erase(world, requested_by="Data protection office, ticket 42")
    with world.session() as session:
        [kept] = session.scalars(select(PersonErasure)).all()
    assert (kept.requested_by, kept.erased_at) == ("Data protection office, ticket 42", LATER)
    assert kept.sub_hash == erasure_hash(KEY, ISSUER, SUB) != erasure_hash("another", ISSUER, SUB)
    assert SUB not in kept.sub_hash and len(kept.sub_hash) == 64


def test_a_failure_midway_erases_nothing(app, world, monkeypatch):
    def broken(*_args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(erasing, "_stop_grades", broken)
    before = snapshot(state(app).engine)
    with pytest.raises(RuntimeError):
        erase(world)
    assert snapshot(state(app).engine) == before


def test_nobody_to_erase_is_told_and_changes_nothing(app, world):
    before = snapshot(state(app).engine)
    with pytest.raises(UnknownPerson, match="nobody with sub 'nobody'"), world.session() as s:
        erase_person(s, KEY, ISSUER, "nobody", "dpo", LATER)
    with pytest.raises(UnknownPerson), world.session() as s:
        erase_person(s, KEY, "https://other.example.edu", SUB, "dpo", LATER)
    assert snapshot(state(app).engine) == before
    erase(world)
    with pytest.raises(UnknownPerson):  # erased already: there is nobody left by that sub
        erase(world)
