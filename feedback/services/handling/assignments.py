"""A department's work on its assignment, and triage's verification of it (对账销号)."""

from __future__ import annotations

from feedback.clock import now
from feedback.errors import Conflict, NotFound, ValidationFailed
from feedback.extensions import db
from feedback.models import Assignment, ExtensionRequest, Feedback, RectificationReport
from feedback.services.handling import deadlines, report_attachments
from feedback.services.handling.actors import SYSTEM, Actor, guard_assignment, move_assignment, move_feedback
from feedback.services.notices import action_notices
from feedback.services.triage.assigning import returned_to_triage
from feedback.workflow import READER_ROLES


def get_assignment(actor: Actor, assignment_id: int) -> Assignment:
    """Handlers see their own department's assignments only; anything else does not exist for them."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or (actor.role not in READER_ROLES and assignment.department_id != actor.department_id):
        raise NotFound("未找到该交办单", code="assignment_not_found")
    return assignment


def get_extension_request(request_id: int) -> ExtensionRequest:
    request = db.session.get(ExtensionRequest, request_id)
    if request is None:
        raise NotFound("未找到该延期申请", code="extension_not_found")
    return request


def get_report(report_id: int) -> RectificationReport:
    report = db.session.get(RectificationReport, report_id)
    if report is None:
        raise NotFound("未找到该整改反馈", code="report_not_found")
    return report


def _dept_name(assignment: Assignment) -> str:
    return assignment.department.name


def acknowledge(actor: Actor, assignment: Assignment) -> None:
    move_assignment(assignment, "acknowledge", actor, data={"reporter_note": f"{_dept_name(assignment)}已签收"})
    assignment.acknowledged_at = now()


def return_assignment(actor: Actor, assignment: Assignment, reason: str) -> None:
    if now() >= assignment.return_due_at:
        window = deadlines.days("return_window")
        raise Conflict(
            f"已超过退回期限（交办后 {window} 个工作日内可退回），请按期办理或申请延期", code="return_window_closed"
        )
    move_assignment(assignment, "return", actor, reason=reason, visible=False)
    _withdraw_pending_extensions(assignment, "交办单已退回，延期申请自动撤回")
    assignment.returned_at = now()
    assignment.return_reason = reason
    if assignment.role == "primary":
        returned_to_triage(db.session.get_one(Feedback, assignment.feedback_id), reason)
    action_notices.returned(assignment, reason)


def _withdraw_pending_extensions(assignment: Assignment, note: str) -> None:
    """A request nobody can decide any more must not wait in triage's list for ever."""
    for request in assignment.extension_requests:
        if request.status == "requested":
            request.status, request.decided_at, request.decision_note = "refused", now(), note


def request_extension(actor: Actor, assignment: Assignment, days: int, reason: str) -> ExtensionRequest:
    limit = deadlines.days("extension_max")
    if now() >= assignment.due_at:
        raise Conflict("已超过办理期限，不能再申请延期", code="already_overdue")
    if assignment.extension_days + days > limit:
        used = assignment.extension_days
        raise ValidationFailed(errors={"days": [f"延期累计不能超过 {limit} 个工作日（已延期 {used} 个）"]})
    if any(r.status == "requested" for r in assignment.extension_requests):
        raise Conflict("已有待审批的延期申请", code="extension_pending")
    move_assignment(assignment, "request_extension", actor, reason=reason, visible=False, data={"days": days})
    request = ExtensionRequest(
        assignment_id=assignment.id, days=days, reason=reason, requested_by=actor.id, requested_at=now()
    )
    db.session.add(request)
    db.session.flush()
    return request


def decide_extension(actor: Actor, request: ExtensionRequest, approve: bool, note: str | None) -> None:
    assignment = request.assignment
    if request.status != "requested":
        raise Conflict("该延期申请已审批", code="extension_decided")
    guard_assignment("decide_extension", assignment, actor)  # before anything changes
    request.status = "approved" if approve else "refused"
    request.decided_by, request.decided_at, request.decision_note = actor.id, now(), note
    data: dict = {"request_id": request.id, "approved": approve}
    if approve:
        deadlines.lengthen(assignment, request.days)
        assignment.extension_days += request.days
        due_day = deadlines.day_of(assignment.due_at)
        data["reporter_note"] = f"{_dept_name(assignment)}办理期限延长至 {due_day.isoformat()}"
        data["due_at"] = assignment.due_at.isoformat()
        data["due_provisional"] = assignment.due_provisional
    move_assignment(assignment, "decide_extension", actor, reason=note, visible=approve, data=data)
    action_notices.extension_decided(request)


def report_upward(actor: Actor, assignment: Assignment, reported_to: str) -> None:
    if assignment.path != "escalate":
        raise Conflict("只有“转市直部门上报”的交办单需要记录向上反映", code="not_escalated")
    move_assignment(
        assignment,
        "report_upward",
        actor,
        data={"reported_to": reported_to, "reporter_note": f"{_dept_name(assignment)}已向{reported_to}反映"},
    )
    assignment.reported_upward_at = now()
    assignment.reported_upward_to = reported_to


def respond(
    actor: Actor, assignment: Assignment, *, measures: str, result: str, summary: str | None, attachments: list[str]
) -> RectificationReport:
    guard_assignment("respond", assignment, actor)  # before the report is added
    if assignment.path == "escalate" and assignment.reported_upward_at is None:
        raise Conflict("请先记录向上级部门反映的时间和对象", code="upward_report_missing")
    feedback = db.session.get_one(Feedback, assignment.feedback_id)
    if feedback.status == "needs_info":
        raise Conflict("该反映正在等待反映人补充情况，请待补充后再提交", code="waiting_for_reporter")
    report = RectificationReport(
        assignment_id=assignment.id,
        measures=measures,
        result=result,
        summary_for_reporter=summary,
        attachments=attachments,
        submitted_by=actor.id,
        submitted_at=now(),
    )
    db.session.add(report)
    db.session.flush()
    report_attachments.claim(report, assignment.department_id, attachments)
    _withdraw_pending_extensions(assignment, "已提交整改反馈，延期申请自动撤回")
    note = f"{_dept_name(assignment)}已反馈整改情况" + (f"：{summary}" if summary else "")
    move_assignment(assignment, "respond", actor, data={"report_id": report.id, "reporter_note": note})
    assignment.responded_at = now()
    if assignment.role == "primary":
        move_feedback(feedback, "responded", SYSTEM, assignment_id=assignment.id, visible=False)
    return report


def accept(actor: Actor, report: RectificationReport, note: str | None) -> None:
    if report.verdict != "pending":
        raise Conflict("该整改反馈已核验", code="report_verified")
    assignment = report.assignment
    move_assignment(assignment, "accept", actor, reason=note, visible=False, data={"report_id": report.id})
    report.verdict, report.verdict_note, report.verified_by, report.verified_at = "accepted", note, actor.id, now()
    assignment.accepted_at = now()


def waive(actor: Actor, assignment: Assignment, reason: str) -> None:
    """免报: the org department releases a cooperating department from reporting, saying why.

    The assignment then reads 免报 with who and why, never 已销号 (a verified report).
    """
    if assignment.role != "cooperating":
        raise Conflict("只有协办部门的交办单可以免报；主办部门须提交整改反馈", code="primary_not_waivable")
    move_assignment(assignment, "waive", actor, reason=reason, visible=False)
    _withdraw_pending_extensions(assignment, "组织部已决定免报，延期申请自动撤回")
    assignment.waived_at, assignment.waived_by, assignment.waive_reason = now(), actor.id, reason


def send_back(actor: Actor, report: RectificationReport, note: str) -> None:
    if report.verdict != "pending":
        raise Conflict("该整改反馈已核验", code="report_verified")
    assignment = report.assignment
    move_assignment(
        assignment,
        "send_back",
        actor,
        reason=note,
        data={"report_id": report.id, "reporter_note": f"组织部要求{_dept_name(assignment)}继续整改"},
    )
    report.verdict, report.verdict_note, report.verified_by, report.verified_at = "sent_back", note, actor.id, now()
    feedback = db.session.get_one(Feedback, assignment.feedback_id)
    if assignment.role == "primary" and feedback.status == "responded":
        move_feedback(feedback, "reassign", SYSTEM, visible=False)
    action_notices.sent_back(report, note)
