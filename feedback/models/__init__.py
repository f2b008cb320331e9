"""Typed SQLAlchemy models; no business logic lives here."""

from feedback.models.event import Event
from feedback.models.feedback import FEEDBACK_KINDS, Feedback, FeedbackContact, FeedbackTag, Message
from feedback.models.idempotency import IdempotencyRecord
from feedback.models.reference import Department, ObservationPoint, Responsibility, Tag
from feedback.models.upload import Upload

__all__ = [
    "FEEDBACK_KINDS", "Department", "Event", "Feedback", "FeedbackContact", "FeedbackTag",
    "IdempotencyRecord", "Message", "ObservationPoint", "Responsibility", "Tag", "Upload",
]
