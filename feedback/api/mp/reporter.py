"""The reporter, with the receipt alone: answer the org department's question, rate the outcome.

The receipt travels in the body, never in the URL; both calls are rate limited like tracking and
answer no sooner than the tracking floor, so a wrong receipt cannot be told apart by timing.
"""

from __future__ import annotations

from flask import current_app

from feedback.api.mp import blp
from feedback.api.mp.schemas_reporter import AnswerIn, AnswerOut, RatingIn, RatingOut
from feedback.extensions import db, limiter
from feedback.labels import FEEDBACK_STATUS_LABELS
from feedback.services.intake import reporter
from feedback.timeutil import local_date


def _track_limit() -> str:
    return current_app.config["RATE_LIMIT_TRACK"]


@blp.route("/feedback/messages", methods=["POST"])
@limiter.limit(_track_limit)
@blp.arguments(AnswerIn)
@blp.response(201, AnswerOut)
@blp.alt_response(404, description="查询码不正确或不存在（receipt_not_found）")
@blp.alt_response(409, description="组织部没有在等待您的补充（invalid_state）")
def answer(payload):
    """答复组织部的提问（仅在“待补充”状态下可答复）；答复后办理期限按暂停的工作日顺延。"""
    with reporter.no_faster_than_floor():
        feedback = reporter.require_by_receipt(payload["receipt"])
        message = reporter.answer(feedback, payload["body"].strip())
        db.session.commit()
        return {
            "status": feedback.status,
            "status_label": FEEDBACK_STATUS_LABELS[feedback.status],
            "answered_on": local_date(message.created_at),
        }


@blp.route("/feedback/rating", methods=["POST"])
@limiter.limit(_track_limit)
@blp.arguments(RatingIn)
@blp.response(200, RatingOut)
@blp.alt_response(404, description="查询码不正确或不存在（receipt_not_found）")
@blp.alt_response(409, description="尚未办结，不能评价（invalid_state）")
def rate(payload):
    """评价办理结果（办结后）。第一次“不满意”会退回组织部重新办理。"""
    with reporter.no_faster_than_floor():
        feedback = reporter.require_by_receipt(payload["receipt"])
        comment = (payload.get("comment") or "").strip() or None
        reopened = reporter.rate(feedback, payload["rating"], comment)
        db.session.commit()
        return {
            "reopened": reopened,
            "status": feedback.status,
            "status_label": FEEDBACK_STATUS_LABELS[feedback.status],
        }
