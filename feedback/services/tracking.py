"""What a reporter sees with the receipt alone: status, tags, timeline, messages."""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import select

from feedback.errors import NotFound
from feedback.extensions import db
from feedback.labels import FEEDBACK_STATUS_LABELS, REPORTER_ACTION_LABELS
from feedback.models import Event, Feedback, Message
from feedback.privacy import normalize_receipt, receipt_digest
from feedback.services.keys import purpose_key
from feedback.timeutil import local_date

# A digest no receipt can have: malformed input still costs one indexed lookup.
_NO_SUCH_DIGEST = "0" * 64


def _find(receipt: str) -> Feedback | None:
    normalised = normalize_receipt(receipt)
    digest = receipt_digest(purpose_key("receipt"), normalised) if normalised else _NO_SUCH_DIGEST
    return db.session.scalar(select(Feedback).where(Feedback.receipt_hash == digest))


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
        }
        for e in events
    ]


def _messages(feedback: Feedback) -> list[dict]:
    rows = db.session.scalars(select(Message).where(Message.feedback_id == feedback.id).order_by(Message.id))
    return [{"direction": m.direction, "body": m.body, "on": local_date(m.created_at)} for m in rows]


def track(receipt: str) -> dict:
    """Known and unknown receipts answer no sooner than TRACK_MIN_SECONDS, so timing tells nothing."""
    started = time.monotonic()
    try:
        feedback = _find(receipt)
        if feedback is None:
            raise NotFound("查询码不正确或不存在，请核对后重试", code="receipt_not_found")
        return {
            "status": feedback.status,
            "status_label": FEEDBACK_STATUS_LABELS[feedback.status],
            "kind": feedback.kind,
            "tags": [{"code": t.tag.code, "name": t.tag.name} for t in feedback.tags],
            "timeline": _timeline(feedback),
            "messages": _messages(feedback),
        }
    finally:
        remaining = float(current_app.config["TRACK_MIN_SECONDS"]) - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
