"""LTI Dynamic Registration 1.0, the tool's side (https://www.imsglobal.org/spec/lti-dr/v1p0).

The platform opens `GET /lti/register?openid_configuration=…&registration_token=…`
("Registration Initiation Launch"). Rapport then

1. fetches and checks the platform's OpenID configuration (`configuration`: "Platform OpenID
   Configuration", "Issuer and OpenID Configuration URL Match");
2. posts its client registration with the registration token and reads the client_id and
   deployment_id of the answer (`client`: "Tool Registration Request" and "Response"), built
   from what Rapport declares about itself (`tool`);
3. leaves saving the platform to `lti_tool.services.platforms.installation` and closing the
   platform's window (§3.6, `org.imsglobal.lti.close`) to the view.

What only Canvas does, including its developer key JSON, is in `canvas`.
"""

from lti_tool.lti.registration import canvas
from lti_tool.lti.registration.client import (
    ClientRegistration,
    read_client_registration,
    register_tool,
    registration_request,
)
from lti_tool.lti.registration.configuration import (
    PlatformConfiguration,
    RegistrationError,
    fetch_platform_configuration,
    read_platform_configuration,
)
from lti_tool.lti.registration.tool import ToolUrls

__all__ = [
    "ClientRegistration",
    "PlatformConfiguration",
    "RegistrationError",
    "ToolUrls",
    "canvas",
    "fetch_platform_configuration",
    "read_client_registration",
    "read_platform_configuration",
    "register_tool",
    "registration_request",
]
