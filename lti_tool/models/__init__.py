"""Rapport's data model: one concept per module, all registered on `Base.metadata`."""

from lti_tool.models.course import Course, Membership, ResourceLink
from lti_tool.models.person import Person
from lti_tool.models.platform import Deployment, Registration

__all__ = ["Course", "Deployment", "Membership", "Person", "Registration", "ResourceLink"]
