"""Rapport's data model: one concept per module, all registered on `Base.metadata`."""

from lti_tool.models.audit import AuditEntry
from lti_tool.models.checkins import CheckIn, CheckInResponse, Occurrence, ResponseStatus
from lti_tool.models.contact import StudentFlag
from lti_tool.models.course import Course, Membership, ResourceLink
from lti_tool.models.feedback import (
    BulkStart,
    FeedbackMessage,
    FeedbackThread,
    Snippet,
    ThreadRead,
    TutorAllocation,
)
from lti_tool.models.grades import DeliveryStatus, GradableActivity, GradeDelivery, GradeSend
from lti_tool.models.newsfeed import Post, PostKind, PostView, Reaction, Reply, StaffProfile
from lti_tool.models.notifications import (
    CheckInAnnouncement,
    Notification,
    NotificationMode,
    NotificationPreference,
    NotificationStatus,
)
from lti_tool.models.person import Person
from lti_tool.models.placement import Placement
from lti_tool.models.platform import Deployment, Registration, RegistrationInvite
from lti_tool.models.privacy import PersonErasure
from lti_tool.models.retention import CourseDeletion
from lti_tool.models.settings import CourseSetting
from lti_tool.models.summary import StaffAnswer, StudentSummary

__all__ = [
    "AuditEntry",
    "BulkStart",
    "CheckIn",
    "CheckInAnnouncement",
    "CheckInResponse",
    "Course",
    "CourseDeletion",
    "CourseSetting",
    "DeliveryStatus",
    "Deployment",
    "FeedbackMessage",
    "FeedbackThread",
    "GradableActivity",
    "GradeDelivery",
    "GradeSend",
    "Membership",
    "Notification",
    "NotificationMode",
    "NotificationPreference",
    "NotificationStatus",
    "Occurrence",
    "Person",
    "PersonErasure",
    "Placement",
    "Post",
    "PostKind",
    "PostView",
    "Reaction",
    "Registration",
    "RegistrationInvite",
    "Reply",
    "ResourceLink",
    "ResponseStatus",
    "Snippet",
    "StaffAnswer",
    "StaffProfile",
    "StudentFlag",
    "StudentSummary",
    "ThreadRead",
    "TutorAllocation",
]
