"""The org department's decisions on one feedback: tags, rejection, merging, questions, closing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from feedback.clock import now
from feedback.errors import Conflict, NotFound, ValidationFailed
from feedback.extensions import db
from feedback.models import Assignment, Feedback, FeedbackTag, Message, Tag
from feedback.services.handling import assignments as handling
from feedback.services.handling.actors import Actor, move_feedback
from feedback.services.triage.assigning import open_assignments


def get_feedback(feedback_id: int) -> Feedback:
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None:
        raise NotFound("未找到该反映", code="feedback_not_found")
    return feedback


def active_tags() -> list[Tag]:
    """The tags triage may give, in their display order: the retag form's choices."""
    return list(db.session.scalars(select(Tag).where(Tag.active.is_(True)).order_by(Tag.sort_order, Tag.id)))


def retag(actor: Actor, feedback: Feedback, codes: list[str], note: str | None) -> None:
    """Staff corrections replace the automatic tags; the event keeps both sets."""
    tags = {t.code: t for t in db.session.scalars(select(Tag).where(Tag.code.in_(codes), Tag.active.is_(True)))}
    unknown = [c for c in codes if c not in tags]
    if unknown:
        raise ValidationFailed(errors={"tags": [f"未知标签：{'、'.join(unknown)}"]})
    before = [t.tag.code for t in feedback.tags]
    kept = {t.tag.code: t for t in feedback.tags}
    # What the tagger gave and triage took away, with its evidence: `flask tagger suggest` counts
    # the terms behind tags triage keeps removing.
    removed = {
        t.tag.code: {
            "matched": list(t.matched or []),
            "learned": list(t.learned or []),
            "tagger_version": t.tagger_version,
        }
        for t in feedback.tags
        if t.source == "auto" and t.tag.code not in codes
    }
    feedback.tags[:] = [
        kept.get(code) or FeedbackTag(tag=tags[code], score=1.0, matched=[], source="staff")
        for code in dict.fromkeys(codes)
    ]
    data: dict[str, Any] = {"before": before, "after": list(dict.fromkeys(codes))}
    if removed:
        data["removed_auto"] = removed
    move_feedback(feedback, "retag", actor, reason=note, visible=False, data=data)


REASON_MAX = 2000  # the reporter reads the reason; the staff API checks the same (ReasonIn)


def check_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > REASON_MAX:
        raise ValidationFailed(f"不予受理的理由不能为空，且不超过 {REASON_MAX} 个字")


def reject(actor: Actor, feedback: Feedback, reason: str) -> None:
    check_reason(reason)
    move_feedback(feedback, "reject", actor, reason=reason, data={"reporter_note": reason})
    feedback.closed_at = now()  # handling ended: the retention period runs from here


def merge(actor: Actor, feedback: Feedback, target_id: int, note: str | None) -> None:
    if target_id == feedback.id:
        raise ValidationFailed(errors={"target_id": ["不能合并到自身"]})
    target = db.session.get(Feedback, target_id)
    if target is None:
        raise ValidationFailed(errors={"target_id": ["未找到要合并到的反映"]})
    if target.status in ("merged", "rejected"):
        raise Conflict("目标反映已合并或不予受理，不能作为合并目标", code="invalid_merge_target")
    feedback.merged_into_id = target.id
    feedback.closed_at = now()  # handling ended here (it goes on under the kept one)
    move_feedback(
        feedback,
        "merge",
        actor,
        reason=note,
        data={"target_id": target.id, "reporter_note": "与其他人反映的同一问题合并办理，办理进度以合并后的反映为准"},
    )


def ask_reporter(actor: Actor, feedback: Feedback, question: str) -> Message:
    """The clock of every open assignment stops until the reporter answers."""
    previous = feedback.status
    move_feedback(feedback, "ask_reporter", actor, data={"reporter_note": "组织部请您补充情况"})
    feedback.paused_at = now()
    feedback.paused_from_status = previous
    message = Message(
        feedback_id=feedback.id, direction="to_reporter", body=question, staff_user_id=actor.id, created_at=now()
    )
    db.session.add(message)
    return message


def close(actor: Actor, feedback: Feedback, note: str | None, waive_reason: str | None = None) -> None:
    """Closing needs the primary report accepted and every cooperating part settled.

    A cooperating department that has not reported is either waited for or released by an
    explicit 免报 decision: ``waive_reason`` says why, and each such assignment records who decided,
    when and why. Nothing is marked 已销号 without a verified report.
    """
    assignments = list(db.session.scalars(select(Assignment).where(Assignment.feedback_id == feedback.id)))
    if not any(a.role == "primary" and a.status == "accepted" for a in assignments):
        raise Conflict("主办部门的整改反馈尚未销号，不能办结", code="primary_not_accepted")
    still_open = open_assignments(feedback)
    if any(a.role == "primary" for a in still_open):  # e.g. routed again after a reopening
        raise Conflict("主办部门的整改反馈尚未销号，不能办结", code="primary_not_accepted")
    if any(a.status == "responded" for a in still_open):
        raise Conflict("还有协办部门的反馈未核验（销号或返工）", code="reports_unverified")
    reason = (waive_reason or "").strip()
    if still_open and not reason:
        names = "、".join(a.department.name for a in still_open)
        raise Conflict(
            f"协办部门尚未反馈：{names}。请待其反馈并核验，或写明免报理由后办结", code="cooperating_not_reported"
        )
    for assignment in still_open:
        handling.waive(actor, assignment, reason)
    feedback.closed_at = now()
    feedback.rating = feedback.rating_comment = None  # the reporter rates this closure afresh
    move_feedback(feedback, "close", actor, reason=note, data={"reporter_note": note} if note else None)
