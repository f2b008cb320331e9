"""What a reporter sees with the receipt alone: status, tags, timeline, messages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from feedback.calendar import PROVISIONAL_NOTE
from feedback.extensions import db
from feedback.labels import FEEDBACK_STATUS_LABELS, REPORTER_ACTION_LABELS
from feedback.models import Assignment, Event, Feedback, Message
from feedback.services.handling.deadlines import day_of
from feedback.services.intake.reporter import no_faster_than_floor, require_by_receipt
from feedback.timeutil import local_date
from feedback.workflow import RUNNING_ASSIGNMENT


def _due_on(data: dict) -> date | None:
    due_at = data.get("due_at")
    return day_of(datetime.fromisoformat(due_at)) if due_at else None


def _timeline(feedback: Feedback) -> list[dict]:
    events = db.session.scalars(
        select(Event).where(Event.feedback_id == feedback.id, Event.visible_to_reporter.is_(True)).order_by(Event.id)
    )
    return [
        {
            "on": local_date(e.created_at),
            "action": e.action,
            "label": REPORTER_ACTION_LABELS.get(e.action, e.action),
            "note": (e.data or {}).get("reporter_note"),
            "due_on": _due_on(e.data or {}),
            "deadline_note": PROVISIONAL_NOTE if (e.data or {}).get("due_provisional") else None,
        }
        for e in events
    ]


def _deadline(feedback: Feedback) -> dict | None:
    """The primary department's running deadline, as the reporter may know it (the day only)."""
    primary = db.session.scalar(
        select(Assignment)
        .where(
            Assignment.feedback_id == feedback.id,
            Assignment.role == "primary",
            Assignment.status.in_(RUNNING_ASSIGNMENT),
        )
        .order_by(Assignment.id.desc())
        .limit(1)
    )
    if primary is None:
        return None
    return {
        "due_on": day_of(primary.due_at),
        "provisional": primary.due_provisional,
        "note": PROVISIONAL_NOTE if primary.due_provisional else None,
    }


def _messages(feedback: Feedback) -> list[dict]:
    rows = db.session.scalars(select(Message).where(Message.feedback_id == feedback.id).order_by(Message.id))
    return [{"direction": m.direction, "body": m.body, "on": local_date(m.created_at)} for m in rows]


def _status(feedback: Feedback) -> dict:
    return {"status": feedback.status, "status_label": FEEDBACK_STATUS_LABELS[feedback.status]}


def track(receipt: str) -> dict:
    with no_faster_than_floor():
        feedback = require_by_receipt(receipt)
        body = {
            **_status(feedback),
            "kind": feedback.kind,
            "tags": [{"code": t.tag.code, "name": t.tag.name} for t in feedback.tags],
            "timeline": _timeline(feedback),
            "messages": _messages(feedback),
            "can_answer": feedback.status == "needs_info",
            # what services.intake.reporter.rate accepts: a closure not rated yet, content not purged
            "can_rate": feedback.status == "closed" and feedback.rating is None and feedback.purged_at is None,
            "deadline": _deadline(feedback),
        }
        if feedback.merged_into_id:
            body["merged_into"] = _status(db.session.get_one(Feedback, feedback.merged_into_id))
        return body
