"""Rapport's data model: one concept per module, all registered on `Base.metadata`."""

from lti_tool.models.course import Course, Membership, ResourceLink
from lti_tool.models.grades import DeliveryStatus, GradableActivity, GradeDelivery
from lti_tool.models.person import Person
from lti_tool.models.placement import Placement
from lti_tool.models.platform import Deployment, Registration

__all__ = [
    "Course",
    "DeliveryStatus",
    "Deployment",
    "GradableActivity",
    "GradeDelivery",
    "Membership",
    "Person",
    "Placement",
    "Registration",
    "ResourceLink",
]
