"""Names and Role Provisioning Services 2.0 in the demo LMS: the course roster, paged.

NRPS 2.0 §2.2 to §2.4: a membership container for the context, with `limit` (and Moodle's `from`)
paging and a `Link: <…>; rel="next"` header only while more members remain; `role` filters by
a context role, as a full URI or its short name.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from lti_tool.demo.blueprint import bp
from lti_tool.demo.messages import SCOPE_NRPS
from lti_tool.demo.oauth import service
from lti_tool.demo.people import DemoPerson
from lti_tool.demo.platform import demo
from lti_tool.demo.responses import Paging, json_error, json_response

MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def member_json(person: DemoPerson) -> dict[str, Any]:
    member: dict[str, Any] = {
        "status": "Active",
        "user_id": person.sub,
        "roles": list(person.context_roles),
    }
    if person.name:
        member.update(
            name=person.name,
            given_name=person.given_name,
            family_name=person.family_name,
            email=person.email,
        )
    return member


def _has_role(person: DemoPerson, role: str) -> bool:
    return any(r == role or r.rsplit("#", 1)[-1] == role for r in person.context_roles)


@bp.get("/nrps/<context_id>/memberships")
@service("nrps", SCOPE_NRPS)
def memberships(context_id: str) -> Response:
    platform = demo()
    course = platform.course
    if context_id != course.context_id:
        return json_error(404, "not_found", f"the demo LMS has no course {context_id!r}")
    paging = Paging.parse(request.args)
    if isinstance(paging, str):
        return json_error(400, "invalid_request", paging)
    role = request.args.get("role")
    people = [p for p in course.people if role is None or _has_role(p, role)]

    def next_url(changes: dict[str, str]) -> str:
        return f"{platform.nrps_url}?{urlencode({**request.args.to_dict(), **changes})}"

    page, headers = paging.page(people, next_url)
    body = {
        "id": platform.nrps_url,
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": [member_json(p) for p in page],
    }
    return json_response(body, content_type=MEMBERSHIP_CONTAINER, headers=headers)
