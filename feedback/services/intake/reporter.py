"""What the reporter can do with the receipt: answer questions and rate the outcome."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select

from feedback.clock import now
from feedback.errors import Conflict, NotFound
from feedback.extensions import db
from feedback.models import Feedback, Message
from feedback.privacy import normalize_receipt, receipt_digest
from feedback.services.handling import deadlines
from feedback.services.handling.actors import REPORTER, guard_feedback, move_feedback
from feedback.services.keys import purpose_key
from feedback.services.notices import action_notices
from feedback.services.triage.assigning import open_assignments
from feedback.timeutil import day_start, local_date

RATING_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
NO_SUCH_DIGEST = "0" * 64


@contextmanager
def no_faster_than_floor() -> Iterator[None]:
    """Receipt lookups answer no sooner than TRACK_MIN_SECONDS, found or not, so timing tells nothing."""
    started = time.monotonic()
    try:
        yield
    finally:
        remaining = current_app.config["TRACK_MIN_SECONDS"] - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)


def feedback_by_receipt(receipt: str) -> Feedback | None:
    """Malformed receipts still cost one indexed lookup, like unknown ones."""
    normalised = normalize_receipt(receipt)
    digest = receipt_digest(purpose_key("receipt"), normalised) if normalised else NO_SUCH_DIGEST
    return db.session.scalar(select(Feedback).where(Feedback.receipt_hash == digest))


def require_by_receipt(receipt: str) -> Feedback:
    feedback = feedback_by_receipt(receipt)
    if feedback is None:
        raise NotFound("查询码不正确或不存在，请核对后重试", code="receipt_not_found")
    return feedback


def answer(feedback: Feedback, body: str) -> Message:
    """The answer restarts the clock; every open deadline moves by the working days spent waiting."""
    guard_feedback("reporter_answer", feedback, REPORTER)
    if feedback.paused_at is None:  # ask_reporter records the pause with every needs_info
        raise Conflict("该反映当前不在等待补充情况，无法答复", code="invalid_state")
    moment = now()
    waited = deadlines.paused_working_days(feedback.paused_at, moment)
    moved = []
    for assignment in open_assignments(feedback):
        deadlines.lengthen(assignment, waited, which=tuple(deadlines.COUNT_FIELDS.values()))
        moved.append(
            {
                "assignment_id": assignment.id,
                "due_on": deadlines.day_of(assignment.due_at).isoformat(),
                "due_provisional": assignment.due_provisional,
            }
        )
    # Stored to the day only, like every reporter action (timeutil.day_start).
    message = Message(feedback_id=feedback.id, direction="from_reporter", body=body, created_at=day_start(moment))
    feedback.updated_at = day_start(moment)
    db.session.add(message)
    resume = feedback.paused_from_status or "submitted"
    # The pause, as the staff timeline tells it: working days waited and where each deadline moved.
    pause = {"paused_on": local_date(feedback.paused_at).isoformat(), "waited_working_days": waited, "moved": moved}
    move_feedback(
        feedback, "reporter_answer", REPORTER, to_status=resume, data={"reporter_note": "您已补充情况", "pause": pause}
    )
    feedback.paused_at = feedback.paused_from_status = None
    action_notices.reporter_answered(feedback)
    return message


def rate(feedback: Feedback, rating: str, comment: str | None) -> bool:
    """Returns True when 不满意 reopened the feedback (once only)."""
    guard_feedback("rate", feedback, REPORTER)
    if feedback.purged_at is not None:
        raise Conflict("该反映已超过保存期限，内容已清除，不能再评价", code="purged")
    if feedback.rating is not None:
        raise Conflict("您已评价过本次办理结果", code="already_rated")
    feedback.rating, feedback.rating_comment = rating, comment
    feedback.updated_at = day_start(now())
    if rating == "unsatisfied" and feedback.reopen_count == 0:
        feedback.reopen_count = 1
        feedback.closed_at = None
        move_feedback(
            feedback,
            "reopen",
            REPORTER,
            reason=comment,
            data={"rating": rating, "reporter_note": "您对办理结果不满意，已退回组织部重新研判"},
        )
        action_notices.rated_unsatisfied(feedback, reopened=True)
        return True
    move_feedback(
        feedback,
        "rate",
        REPORTER,
        reason=comment,
        data={"rating": rating, "reporter_note": f"您的评价：{RATING_LABELS[rating]}"},
    )
    if rating == "unsatisfied":
        action_notices.rated_unsatisfied(feedback, reopened=False)
    return False
