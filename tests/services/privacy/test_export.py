"""A person's export, without Flask: everything they wrote and everything kept about them, per
course, as JSON; nobody else's words but those written to them."""

from __future__ import annotations

import json

import pytest

from lti_tool.services.privacy.export import export_person
from lti_tool.services.privacy.people import UnknownPerson
from tests.services.privacy.world import IDENTITY, ISSUER, MARKERS, SUB, T0, World

AS_A_STUDENT = {
    "membership", "posts", "replies", "reactions", "posts_seen", "messages",
    "conversations_read", "check_in_answers", "answers_from_staff", "grades", "tutors",
    "flags_on_them", "notification_settings", "notifications", "dashboard_summary",
    "activity_log",
}  # fmt: skip
AS_STAFF = {
    "membership", "staff_profile", "posts", "replies", "messages", "conversations_read",
    "tutees", "flags_they_set", "snippets_written", "check_ins_made", "placements_made",
    "grade_comments_written", "activity_log",
}  # fmt: skip


def export(world: World, sub: str = SUB) -> dict:
    with world.session() as session:
        document = export_person(session, ISSUER, sub, T0)
    return json.loads(json.dumps(document))  # JSON through and through


def test_the_export_lists_everything_they_wrote_and_everything_kept_about_them(world):
    document = export(world)
    text = json.dumps(document, ensure_ascii=False)
    assert [word for word in IDENTITY + MARKERS if word not in text] == []
    [record] = document["records"]
    assert record["platform"]["issuer"] == ISSUER
    assert record["profile"]["email"] == "zeph.quill@students.example.edu"
    poetry, lab = record["courses"]
    assert (poetry["course"]["title"], lab["course"]["title"]) == ("Poetry", "Lab")
    assert set(poetry) >= AS_A_STUDENT and set(lab) >= AS_STAFF
    assert poetry["membership"][0]["role"] == "student" and lab["membership"][0]["role"] == "staff"
    answers = poetry["check_in_answers"]
    assert [(a["score"], a["answers"]["text"], a["wants_talk"]) for a in answers] == [
        (2, "zqmark-answer", True)
    ]
    assert [(g["activity"], g["score_given"], g["status"]) for g in poetry["grades"]] == [
        ("Essay 1", 8, "waiting")
    ]
    assert poetry["notification_settings"] == [
        {"mode": "daily", "updated_at": poetry["notification_settings"][0]["updated_at"]}
    ]
    said = {(m["written_by_them"], m["body"]) for m in poetry["messages"]}
    assert (True, "Thanks! zqmark-message") in said
    assert (False, "Well argued, Zephyrine.") in said  # written to her: hers to read
    assert {entry["action"] for entry in lab["activity_log"]} >= {"news.published"}


def test_another_persons_export_holds_none_of_her_words(world):
    document = export(world, "ben")
    text = json.dumps(document, ensure_ascii=False)
    assert [word for word in IDENTITY + MARKERS if word in text] == []
    [record] = document["records"]
    assert [course["course"]["title"] for course in record["courses"]] == ["Poetry"]
    assert {m["body"] for m in record["courses"][0]["messages"]} == {"Hello Ben, how is it going?"}


def test_nobody_by_that_sub_is_told(world):
    with pytest.raises(UnknownPerson, match="nobody with sub 'nobody'"):
        export(world, "nobody")
