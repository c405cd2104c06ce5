"""Reading the course newsfeed: the feed page, and `PostDecorator`, which every page of posts
uses (the introductions, one post, the deleted posts and the "seen" list are in `pages`).

Each page costs the same handful of queries at any course size: the posts of one page, then
for all of them at once their replies (the latest few per post, by window function), their
authors' cards, their reactions and, for staff, how many students saw each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from lti_tool.db import UTCDateTime
from lti_tool.i18n import _
from lti_tool.models import Course, Post, PostKind, Reaction, Reply
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import course_settings
from lti_tool.services.entry import COURSE, visit
from lti_tool.services.newsfeed.replies import record_views
from lti_tool.services.newsfeed.rules import (
    can_delete_post,
    can_edit_post,
    can_hide_reply,
    can_pin_post,
    can_react,
    can_reply,
    can_restore_post,
    can_see_who_saw,
    can_write_introduction,
    can_write_news,
)
from lti_tool.services.newsfeed.seen import seen_counts
from lti_tool.services.newsfeed.service import REACTIONS, PostRefused, own_introduction
from lti_tool.services.profiles import AuthorCard, author_cards

PAGE_SIZE = 20
INTRODUCTIONS_PAGE_SIZE = 20  # students' introductions on a page, as many as the newsfeed's posts
REPLIES_IN_FEED = 3
REPLIES_ON_POST_PAGE = 500
DELETED_SHOWN = 100


@dataclass(frozen=True)
class ReactionCount:
    key: str
    emoji: str
    label: str
    count: int
    mine: bool


@dataclass(frozen=True)
class ShownReply:
    reply: Reply
    author: AuthorCard
    hidden: bool


@dataclass
class ShownPost:
    """A post as one viewer sees it, with what they may do to it."""

    post: Post
    author: AuthorCard
    state: str  # "published", "scheduled", "draft" or "deleted"
    replies: list[ShownReply] = field(default_factory=list)
    reply_count: int = 0
    reactions: list[ReactionCount] = field(default_factory=list)
    seen_by: int | None = None
    students: int | None = None  # "seen by `seen_by` of `students`", to who may see who saw
    can_edit: bool = False
    can_delete: bool = False
    can_restore: bool = False
    can_pin: bool = False
    can_reply: bool = False
    can_react: bool = False
    can_see_who_saw: bool = False

    @property
    def more_replies(self) -> int:
        return max(0, self.reply_count - len(self.replies))


@dataclass(frozen=True)
class FeedPage:
    course: Course
    grant: CourseGrant
    settings: Mapping[str, Any]
    introductions: list[ShownPost]
    posts: list[ShownPost]
    pending: list[ShownPost]  # staff: drafts and scheduled posts
    page: int
    has_more: bool
    can_write_news: bool
    can_write_introduction: bool
    has_introduction: bool
    can_hide_replies: bool


def _state(post: Post, now: datetime) -> str:
    if post.deleted_at is not None:
        return "deleted"
    if post.draft:
        return "draft"
    return "scheduled" if post.publish_at > now else "published"


def published(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    return and_(Post.draft.is_(False), Post.deleted_at.is_(None), Post.publish_at <= now)


class PostDecorator:
    """Fills in replies, authors, reactions and seen counts for a set of posts at once."""

    def __init__(
        self,
        session: Session,
        grant: CourseGrant,
        settings: Mapping[str, Any],
        now: datetime,
    ) -> None:
        self.session, self.grant, self.settings, self.now = session, grant, settings, now

    def shown(self, posts: Sequence[Post], replies_each: int) -> list[ShownPost]:
        if not posts:
            return []
        ids = [p.id for p in posts]
        replies = self._replies(ids, replies_each)
        authors = {p.author_id for p in posts} | {r.author_id for r, _ in replies}
        cards = author_cards(self.session, self.grant.course_id, authors)
        reactions = self._reactions(ids)
        sees = can_see_who_saw(self.grant)
        counts = seen_counts(self.session, self.grant.course_id, ids) if sees else None
        by_post: dict[int, list[ShownReply]] = defaultdict(list)
        totals: dict[int, int] = {}
        for reply, total in replies:
            hidden = reply.hidden_at is not None
            by_post[reply.post_id].append(ShownReply(reply, cards[reply.author_id], hidden))
            totals[reply.post_id] = total
        shown = []
        for post in posts:
            state = _state(post, self.now)
            shown.append(
                ShownPost(
                    post=post,
                    author=cards[post.author_id],
                    state=state,
                    replies=by_post.get(post.id, []),
                    reply_count=totals.get(post.id, 0),
                    reactions=reactions.get(post.id, []),
                    seen_by=counts.seen.get(post.id, 0) if counts else None,
                    students=counts.students if counts else None,
                    can_edit=can_edit_post(self.grant, post),
                    can_delete=can_delete_post(self.grant, post),
                    can_restore=can_restore_post(self.grant, post),
                    can_pin=can_pin_post(self.grant, post),
                    can_reply=can_reply(self.grant, post, self.settings, self.now),
                    can_react=can_react(self.grant, post, self.settings, self.now),
                    can_see_who_saw=can_see_who_saw(self.grant) and state == "published",
                )
            )
        if self.grant.is_student:  # "seen by" counts students; nobody else's views are kept
            published = [p.id for p in posts if p.is_published(self.now)]
            record_views(self.session, self.grant.person_id, published, self.now)
        return shown

    def _replies(self, post_ids: list[int], limit: int) -> list[tuple[Reply, int]]:
        rows = self.session.execute(
            _replies_query(can_hide_reply(self.grant)), {"post_ids": post_ids, "limit": limit}
        ).all()
        return [(reply, int(total)) for reply, total in rows]

    def _reactions(self, post_ids: list[int]) -> dict[int, list[ReactionCount]]:
        rows = self.session.execute(
            _REACTIONS, {"post_ids": post_ids, "person_id": self.grant.person_id}
        ).all()
        counts: dict[int, dict[str, tuple[int, bool]]] = defaultdict(dict)
        for post_id, key, count, me in rows:
            counts[post_id][key] = (int(count), bool(me))
        return {
            post_id: [
                ReactionCount(key, emoji, label, *found.get(key, (0, False)))
                for key, (emoji, label) in REACTIONS.items()
            ]
            for post_id, found in counts.items()
        }


# The decorator's statements, built once with the posts (and the viewer, the number of replies
# shown) as parameters: building them anew cost a page of posts about as much as running them.
_POST_IDS: BindParameter[list[int]] = bindparam("post_ids", expanding=True)


@cache
def _replies_query(with_hidden: bool) -> Select[Reply, int]:
    """The newest `limit` replies to each post, oldest first, with each post's total."""
    visible = [Reply.post_id.in_(_POST_IDS)]
    if not with_hidden:
        visible.append(Reply.hidden_at.is_(None))
    order = (Reply.created_at.desc(), Reply.id.desc())
    ranked = (
        select(
            Reply.id,
            func.row_number().over(partition_by=Reply.post_id, order_by=order).label("rank"),
            func.count().over(partition_by=Reply.post_id).label("total"),
        )
        .where(*visible)
        .subquery()
    )
    return (
        select(Reply, ranked.c.total)
        .join(ranked, ranked.c.id == Reply.id)
        .where(ranked.c.rank <= bindparam("limit", type_=Integer))
        .order_by(Reply.post_id, Reply.created_at, Reply.id)
    )


_MINE = func.max(case((Reaction.person_id == bindparam("person_id", type_=Integer), 1), else_=0))
_REACTIONS = (
    select(Reaction.post_id, Reaction.reaction, func.count(), _MINE)
    .where(Reaction.post_id.in_(_POST_IDS))
    .group_by(Reaction.post_id, Reaction.reaction)
)


def course_of(session: Session, grant: CourseGrant) -> Course:
    course = session.get(Course, grant.course_id)
    if course is None:
        raise PostRefused(404, _("This course is no longer known to Rapport."))
    return course


def own_introduction_among(
    session: Session, grant: CourseGrant, posts: Sequence[Post]
) -> Post | None:
    """The viewer's introduction: from the posts a page read already when it is among them (a
    person has one per course, `uq_post_one_introduction`), else read."""
    for post in posts:
        if post.author_id == grant.person_id and post.kind != PostKind.NEWS:
            return post
    return own_introduction(session, grant)


def _feed_order(query: Select[Post]) -> Select[Post]:
    return query.order_by(Post.pinned.desc(), Post.publish_at.desc(), Post.id.desc())


# The feed page's posts, built once with the course (the entry's COURSE), the time and the
# page as parameters: building and keying the three cost more than running them.
_NOW = bindparam("feed_now", type_=UTCDateTime)
_INTRODUCTIONS = (
    select(Post)
    .where(Post.course_id == COURSE, Post.kind == PostKind.INTRODUCTION, published(_NOW))
    .order_by(Post.publish_at, Post.id)
)
_NEWS = (
    _feed_order(
        select(Post).where(Post.course_id == COURSE, Post.kind == PostKind.NEWS, published(_NOW))
    )
    .offset(bindparam("feed_offset", type_=Integer))
    .limit(bindparam("feed_limit", type_=Integer))
)
_PENDING = (
    select(Post)
    .where(
        Post.course_id == COURSE,
        Post.kind != PostKind.STUDENT_INTRODUCTION,
        Post.deleted_at.is_(None),
        or_(Post.draft.is_(True), Post.publish_at > _NOW),
    )
    .order_by(Post.draft, Post.publish_at)
)


def feed_page(
    session: Session,
    grant: CourseGrant,
    now: datetime,
    page: int = 1,
    settings: Mapping[str, Any] | None = None,
    has_introduction: bool | None = None,
) -> FeedPage:
    """Staff introductions first, then news: pinned first, then newest, a page at a time.
    The course's settings, and whether the viewer has written their introduction, when the
    caller read them already."""
    course = course_of(session, grant)
    if settings is None:
        settings = course_settings(session, grant.course_id)
    page = max(1, page)
    at = {**visit(grant), "feed_now": now}
    introductions = session.scalars(_INTRODUCTIONS, at).all()
    news = session.scalars(
        _NEWS, {**at, "feed_offset": (page - 1) * PAGE_SIZE, "feed_limit": PAGE_SIZE + 1}
    ).all()
    pending: Sequence[Post] = []
    if grant.is_staff:
        pending = session.scalars(_PENDING, at).all()
    decorate = PostDecorator(session, grant, settings, now)
    everything = decorate.shown([*introductions, *news[:PAGE_SIZE], *pending], REPLIES_IN_FEED)
    intro_count, news_count = len(introductions), min(len(news), PAGE_SIZE)
    if has_introduction is None and can_write_introduction(grant, settings):
        mine = own_introduction_among(session, grant, [*introductions, *pending])
        has_introduction = mine is not None
    return FeedPage(
        course=course,
        grant=grant,
        settings=settings,
        introductions=everything[:intro_count],
        posts=everything[intro_count : intro_count + news_count],
        pending=everything[intro_count + news_count :],
        page=page,
        has_more=len(news) > PAGE_SIZE,
        can_write_news=can_write_news(grant),
        can_write_introduction=can_write_introduction(grant, settings),
        has_introduction=bool(has_introduction),
        can_hide_replies=can_hide_reply(grant),
    )
