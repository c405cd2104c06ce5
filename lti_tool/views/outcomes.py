"""What a page says once a person's action is done: WCAG 2.2 SC 4.1.3 Status Messages, and
SC 2.4.3 Focus Order for where the keyboard's focus goes next.

A form's view answers with a redirect to the page that shows the result (post/redirect/get);
`said(target, outcome, focus)` names the outcome in that address (`done=reply-sent`) and, as its
fragment, the element the action made or changed (the new reply, the pressed button). base.html
writes the outcome's words into the page's status region (`outcome_said()`), marked `data-said`,
and static/status.js moves focus to that element and has the words announced; with nothing to
focus, focus goes to the words themselves. Pages with their own notice ("Profile saved.") mark
it `data-said` the same way. Only a key travels in the address, never words or names.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Flask, request

from lti_tool.i18n import lazy_gettext

# Each outcome's words, read in the reader's language when the page is drawn.
OUTCOMES = {
    "published": lazy_gettext("Post published."),
    "scheduled": lazy_gettext("Post scheduled."),
    "draft-saved": lazy_gettext("Draft saved: only staff see it."),
    "introduction-saved": lazy_gettext("Introduction saved."),
    "post-saved": lazy_gettext("Post saved."),
    "post-restored": lazy_gettext("Post restored."),
    "pinned": lazy_gettext("Post pinned to the top of the feed."),
    "unpinned": lazy_gettext("Post unpinned."),
    "reply-sent": lazy_gettext("Reply sent."),
    "reply-hidden": lazy_gettext("Reply hidden from students."),
    "reply-shown": lazy_gettext("Reply shown to students again."),
    "reaction-added": lazy_gettext("Reaction added."),
    "reaction-removed": lazy_gettext("Reaction removed."),
    "message-sent": lazy_gettext("Message sent."),
    "message-saved": lazy_gettext("Message saved."),
    "thread-started": lazy_gettext("Conversation started: your message is sent."),
    "checkin-created": lazy_gettext("Check-in created."),
    "handled": lazy_gettext("Marked handled."),
    "threads-starting": lazy_gettext("Starting the threads: this page shows how far it has got."),
    "link-chosen": lazy_gettext("The link now opens this check-in."),
    "flagged": lazy_gettext("Flagged to follow up."),
    "unflagged": lazy_gettext("Flag removed."),
    "started-afresh": lazy_gettext("Nothing brought over: this course starts afresh."),
}


def said(target: str, outcome: str, focus: str | None = None) -> str:
    """`target` (a path with any query) with `outcome` named in its query and `focus`, an
    element id on that page, as its fragment (in place of the one it had, if given)."""
    if outcome not in OUTCOMES:
        raise KeyError(f"no words for the outcome {outcome!r}")
    parts = urlsplit(target)
    query = "&".join(q for q in (parts.query, urlencode({"done": outcome})) if q)
    fragment = parts.fragment if focus is None else focus
    return urlunsplit(("", "", parts.path, query, fragment))


def outcome_said() -> str | None:
    """The words for the outcome this page's address names, if any, in the reader's language."""
    words = OUTCOMES.get(request.args.get("done", ""))
    return None if words is None else str(words)


def register(app: Flask) -> None:
    app.add_template_global(outcome_said)
