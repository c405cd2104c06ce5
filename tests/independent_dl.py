"""Deep Linking 2.0 on the independent platform (lti1p3platform), without changing it.

lti1p3platform builds the `LtiDeepLinkingRequest` (`set_dl`) and checks the tool's answer
(`validate_deeplinking_resp`: the JWT's signature against the tool's JWKS fetched over HTTP, the
message type, the content item types). This module adds the return URL route, keeps the items
the platform accepted, and launches them: the link id and the custom parameters each item
carried go into the resource-link launch, as an LMS does with the links it creates.
"""

from __future__ import annotations

from typing import Any

import flask
import jwt
from lti1p3platform.exceptions import LtiDeepLinkingResponseException, LtiException
from lti1p3platform.registration import Registration

from tests.independent_platform import Course, IndependentPlatform, User, _Conf, _Launch


class DeepLinkingPlatform(IndependentPlatform):
    __test__ = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = {"request": "dl-1", "course": "c-poetry"}
        self.accepted: list[dict[str, Any]] = []  # content items lti1p3platform accepted
        self.refusals: list[str] = []
        self.app.add_url_rule(
            "/deep-link/return", "deep_link_return", self._deep_link_return, methods=["POST"]
        )
        self.launch_hooks.append(self._hook)

    @property
    def return_url(self) -> str:
        return self.base_url + "/deep-link/return"

    def lti_registration(self) -> Registration:
        return super().lti_registration().set_deeplink_launch_url(self.tool_url + "/lti/launch")

    def dl_login_params(self, course_id: str, user_id: str) -> dict[str, str]:
        return self.login_params(course_id, user_id, dl=True)

    def item_login_params(
        self, course_id: str, user_id: str, item: dict[str, Any], link_id: str
    ) -> dict[str, str]:
        """The login for a launch of the link the platform made from a content item."""
        return self.login_params(
            course_id, user_id, placed=link_id, title=item.get("title"), custom=item.get("custom")
        )

    def _hook(self, launch: _Launch, user: User, course: Course, hint: dict[str, Any]) -> None:
        if hint.get("dl"):
            launch.set_dl(
                self.return_url,
                title="Add an activity",
                accept_types={"ltiResourceLink"},
                extra_data=self.data,
            )
        if hint.get("placed"):
            launch.set_resource_link_claim(hint["placed"], title=hint.get("title") or "")
            launch.set_custom_parameters_claim(hint.get("custom") or {})

    def _deep_link_return(self) -> tuple[str, int]:
        conf = _Conf(platform=self)
        conf.get_registration()
        conf.set_accepted_deeplinking_types(["ltiResourceLink"])
        try:
            items = conf.validate_deeplinking_resp(flask.request.form.to_dict())
        except (LtiException, LtiDeepLinkingResponseException, jwt.PyJWTError, KeyError) as exc:
            self.refusals.append(str(exc))
            return f"refused: {exc}", 400
        self.accepted.extend(items)
        return f"{len(items)} item(s) added", 200
