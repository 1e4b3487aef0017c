"""LMS models, importable without Flask."""
from .bank import QuestionBank
from .base import Base, utcnow
from .claims import PointsClaim, PointsQuota, PointsRule
from .classrooms import ChecklistItem, ChecklistScore, ClassroomReview, SessionRating
from .content import (
                      Attendance,
                      Category,
                      Classroom,
                      ClassroomType,
                      ClassSession,
                      Courseware,
                      CoursewareRevision,
                      LessonAudience,
                      MicroLesson,
                      Question,
                      Quiz,
)
from .learning import (
    Attempt,
    Completion,
    LessonUnitStats,
    Mistake,
    Notification,
    PointsEntry,
    StudyMinutes,
)
from .org import ROLES, UNIT_KINDS, ApiToken, AuditEvent, Membership, Unit, User
from .outbox import DELIVERY_STATES, NotificationDelivery

__all__ = [
    "Base", "utcnow", "Attendance", "Category", "Classroom", "ClassroomType", "ClassSession",
    "Courseware", "CoursewareRevision", "LessonAudience", "MicroLesson", "Question", "Quiz",
    "QuestionBank",
    "Attempt", "Completion", "LessonUnitStats", "Mistake", "Notification", "PointsEntry",
    "StudyMinutes",
    "ChecklistItem", "ChecklistScore", "ClassroomReview", "SessionRating",
    "DELIVERY_STATES", "NotificationDelivery", "PointsClaim", "PointsQuota", "PointsRule",
    "ROLES", "UNIT_KINDS", "ApiToken", "AuditEvent", "Membership", "Unit", "User",
]
