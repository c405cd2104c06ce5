"""The newsfeed's entries in the activity log, without Flask: each staff change students can
see records exactly one entry with what it was about; drafts, students' own posts, refused and
rolled-back changes record none."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from lti_tool.models import Person
from lti_tool.services.newsfeed import replies
from lti_tool.services.newsfeed import service as newsfeed
from lti_tool.services.newsfeed.service import PostForm
from lti_tool.services.newsfeed.settings import REPLIES, STUDENT_INTRODUCTIONS
from lti_tool.services.refusals import Refused
from tests.services.audit.world import T0, Logged, World

UTC = ZoneInfo("UTC")
OPEN = {REPLIES: True, STUDENT_INTRODUCTIONS: True}
MARGARET, TOMAS, AMARA = "Margaret Chen", "Tomás Ruiz", "Amara Okafor"


def news(world: World, who: str = MARGARET, title: str = "Week 1", **form: str | bool) -> int:
    with world.session() as session:
        post_form = PostForm(body="Welcome.", title=title, **form)
        return newsfeed.write_news(session, world.grant(who), post_form, T0, UTC).id


def edit(world: World, post_id: int, who: str = MARGARET, **form: str | bool) -> None:
    values = {"body": "Welcome.", "title": "Week 1", **form}
    with world.session() as session:
        newsfeed.edit_post(session, world.grant(who), post_id, PostForm(**values), T0, UTC)


def test_publishing_news_records_who_published_what(world):
    post_id = news(world)
    assert world.entries() == [
        Logged("news.published", world.ids[MARGARET], "Week 1", None,
               {"kind": "news", "post_id": post_id}),
    ]  # fmt: skip
    assert world.sentences() == ["Margaret Chen published “Week 1”"]


def test_scheduling_news_records_when_it_will_appear(world):
    news(world, when="schedule", publish_at="2027-02-01T09:00")
    [entry] = world.entries()
    assert entry.action == "news.scheduled"
    assert entry.details["publish_at"] == "2027-02-01T09:00:00+00:00"
    assert world.sentences() == [
        "Margaret Chen scheduled “Week 1” to appear on 2027-02-01T09:00:00+00:00"
    ]


def test_a_draft_is_nobody_s_business_until_it_is_published(world):
    post_id = news(world, when="draft")
    edit(world, post_id, when="draft", title="Week one")
    with world.session() as session:
        newsfeed.set_pinned(session, world.grant(MARGARET), post_id, True, T0)
    assert world.entries() == []
    edit(world, post_id, title="Week one")
    assert world.actions() == ["news.published"]
    with world.session() as session:
        newsfeed.delete_post(session, world.grant(MARGARET), news(world, when="draft"), T0)
    assert world.actions() == ["news.published"]


def test_editing_what_students_see_says_what_changed(world):
    post_id = news(world)
    edit(world, post_id, title="Week 1")  # nothing changed
    edit(world, post_id, title="Week one", body="Welcome, all.")
    [_, edited] = world.entries()
    assert edited.action == "news.edited"
    assert edited.details["changed"] == ["title", "text"]
    assert world.sentences()[0] == "Margaret Chen edited “Week one” (title and text)"


def test_taking_news_back_to_drafts_deleting_and_restoring_are_each_recorded(world):
    post_id = news(world)
    edit(world, post_id, when="draft")
    edit(world, post_id)
    with world.session() as session:
        newsfeed.delete_post(session, world.grant(MARGARET), post_id, T0)
    with world.session() as session:
        newsfeed.restore_post(session, world.grant(MARGARET), post_id, T0)
    assert world.actions() == [
        "news.published",
        "news.withdrawn",
        "news.published",
        "news.deleted",
        "news.restored",
    ]
    assert world.sentences()[:2] == [
        "Margaret Chen restored “Week 1”",
        "Margaret Chen deleted “Week 1”",
    ]
    assert world.sentences()[3] == "Margaret Chen took “Week 1” back to drafts"


def test_pinning_and_unpinning_are_recorded_once_each(world):
    post_id = news(world)
    for pinned in (True, True, False):
        with world.session() as session:
            newsfeed.set_pinned(session, world.grant(TOMAS), post_id, pinned, T0)
    assert world.actions() == ["news.published", "news.pinned", "news.unpinned"]
    assert world.entries()[1].actor == world.ids[TOMAS]


def test_a_staff_introduction_is_theirs_and_a_student_s_own_is_not_recorded(world):
    with world.session() as session:
        newsfeed.write_introduction(
            session, world.grant(TOMAS), PostForm(body="I'm Tomás."), T0, UTC, OPEN
        )
    with world.session() as session:
        written = newsfeed.write_introduction(
            session, world.grant(AMARA), PostForm(body="Hi, I'm Amara."), T0, UTC, OPEN
        )
    assert world.entries() == [
        Logged("introduction.published", world.ids[TOMAS], None, world.ids[TOMAS],
               {"kind": "introduction", "post_id": written.id - 1}),
    ]  # fmt: skip
    with world.session() as session:
        newsfeed.delete_post(session, world.grant(MARGARET), written.id, T0)
    assert world.entries()[-1].about == world.ids[AMARA]
    assert world.sentences() == [
        "Margaret Chen deleted Amara Okafor's introduction",
        "Tomás Ruiz published their introduction",
    ]
    with world.session() as session:  # erased from Rapport: the entry stays, without her
        session.execute(delete(Person).where(Person.id == world.ids[AMARA]))
    assert world.sentences()[0] == (
        "Margaret Chen deleted the introduction of someone no longer in the course"
    )


def test_hiding_and_showing_a_student_s_reply_are_recorded(world):
    post_id = news(world)
    with world.session() as session:
        reply = replies.add_reply(session, world.grant(AMARA), post_id, "Thanks!", T0, OPEN)
    for hidden in (True, True, False):
        with world.session() as session:
            replies.set_reply_hidden(session, world.grant(TOMAS), reply.id, hidden, T0)
    assert world.actions() == ["news.published", "reply.hidden", "reply.shown"]
    assert world.entries()[1].about == world.ids[AMARA]
    assert world.sentences()[:2] == [
        "Tomás Ruiz showed again Amara Okafor's reply under “Week 1”",
        "Tomás Ruiz hid Amara Okafor's reply under “Week 1”",
    ]


def test_refused_changes_record_nothing(world):
    post_id = news(world)
    with pytest.raises(Refused) as refused:
        edit(world, post_id, who=TOMAS, title="Mine now")  # an assistant edits their own only
    assert refused.value.status == 403
    with pytest.raises(Refused) as refused:
        edit(world, post_id, title="")
    assert refused.value.status == 400
    with pytest.raises(Refused):
        news(world, who=AMARA)
    with pytest.raises(Refused):
        news(world, when="schedule", publish_at=(T0 - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    assert world.actions() == ["news.published"]


def test_a_change_rolled_back_leaves_no_entry(world):
    post_id = news(world)

    def delete_then_fail() -> None:
        with world.session() as session:
            newsfeed.delete_post(session, world.grant(MARGARET), post_id, T0)
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert world.actions() == ["news.published"]
