"""Typed SQLAlchemy models; no business logic lives here."""

from feedback.models.assignment import ASSIGNMENT_STATUSES, Assignment, ExtensionRequest, RectificationReport
from feedback.models.consultation import Consultation, consultation_departments, consultation_items
from feedback.models.event import Event
from feedback.models.feedback import FEEDBACK_KINDS, Feedback, FeedbackContact, FeedbackTag, Message
from feedback.models.idempotency import IdempotencyRecord
from feedback.models.jobs import JobLease, JobRun
from feedback.models.ledger import LEDGER_COUNTS, LedgerEntry
from feedback.models.notifications import NoticeRead, OutboxMessage, Supervision
from feedback.models.reference import Department, ObservationPoint, Responsibility, Tag
from feedback.models.reporting import FeedbackTerm, MonthlyDepartmentFact, MonthlyFact, MonthlySummary
from feedback.models.staff import STAFF_ROLES, StaffSession, StaffUser
from feedback.models.upload import ReportAttachment, Upload

__all__ = [
    "JobLease",
    "JobRun",
    "LEDGER_COUNTS",
    "LedgerEntry",
    "FeedbackTerm",
    "MonthlyDepartmentFact",
    "MonthlyFact",
    "MonthlySummary",
    "NoticeRead",
    "OutboxMessage",
    "Supervision",
    "ASSIGNMENT_STATUSES",
    "Assignment",
    "Consultation",
    "ExtensionRequest",
    "RectificationReport",
    "STAFF_ROLES",
    "StaffSession",
    "StaffUser",
    "consultation_departments",
    "consultation_items",
    "FEEDBACK_KINDS",
    "Department",
    "Event",
    "Feedback",
    "FeedbackContact",
    "FeedbackTag",
    "IdempotencyRecord",
    "Message",
    "ObservationPoint",
    "ReportAttachment",
    "Responsibility",
    "Tag",
    "Upload",
]
