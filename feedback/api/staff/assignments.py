"""A department's assignments (交办单): list, detail, handling; extension approval and report verification.

Handlers see their own department's assignments only: another department's id answers 404, exactly
as a missing one does (``services.assignments.get_assignment``). Departments see a feedback without
anything that could identify the reporter: no contact details, no exact time, no messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from feedback.api.staff import ID, blp, current_staff, require_roles
from feedback.api.staff.schemas_assignments import (
    AssignmentDetailOut,
    AssignmentListIn,
    AssignmentPageOut,
    ExtensionDecisionIn,
    ExtensionIn,
    ExtensionItemOut,
    ExtensionListIn,
    ExtensionOut,
    ExtensionPageOut,
    ReportIn,
    ReportOut,
    ReturnIn,
    UpwardReportIn,
    VerdictIn,
)
from feedback.calendar import PROVISIONAL_NOTE
from feedback.clock import now
from feedback.errors import ValidationFailed
from feedback.extensions import db
from feedback.models import Assignment, Department, ExtensionRequest, Feedback, Upload
from feedback.services.handling import assignments, deadlines
from feedback.services.handling.actors import Actor
from feedback.workflow import ASSIGNMENT_READERS, ASSIGNMENT_STATUS_LABELS, ORG_ROLES, RUNNING_ASSIGNMENT

DETAIL_FIELDS = ("instructions", "acknowledge_due_at", "return_due_at", "acknowledged_at", "responded_at",
                 "accepted_at", "returned_at", "return_reason", "waived_at", "waive_reason", "extension_days",
                 "reported_upward_at",
                 "reported_upward_to", "extension_requests", "reports")


# ------------------------------------------------------------------------------------ presentation


def _item(assignment: Assignment, feedback: Feedback, moment: datetime) -> dict[str, Any]:
    running = assignment.status in RUNNING_ASSIGNMENT
    content = feedback.content
    return {
        "id": assignment.id, "feedback_id": feedback.id, "kind": feedback.kind,
        "excerpt": content if len(content) <= 60 else content[:60] + "…",
        "department": assignment.department, "role": assignment.role, "path": assignment.path,
        "status": assignment.status, "status_label": ASSIGNMENT_STATUS_LABELS[assignment.status],
        "assigned_at": assignment.assigned_at, "due_at": assignment.due_at,
        "due_provisional": assignment.due_provisional,
        "due_note": PROVISIONAL_NOTE if assignment.due_provisional else None,
        "due_state": deadlines.state(moment, assignment.due_at) if running else None,
        "working_days_left": deadlines.days_left(moment, assignment.due_at) if running else None,
    }


def _feedback_as_department_sees_it(feedback: Feedback) -> dict[str, Any]:
    uploads = db.session.scalars(select(Upload.id).where(Upload.feedback_id == feedback.id)
                                 .order_by(Upload.created_at, Upload.id))
    return {
        "id": feedback.id, "kind": feedback.kind, "content": feedback.content,
        "tags": [{"code": t.tag.code, "name": t.tag.name} for t in feedback.tags],
        "submitted_on": feedback.submitted_on, "region_code": feedback.region_code, "point": feedback.point,
        "attachments": list(uploads), "waiting_for_reporter": feedback.status == "needs_info",
    }


def _detail(assignment: Assignment) -> dict[str, Any]:
    feedback = db.session.get(Feedback, assignment.feedback_id)
    return {**_item(assignment, feedback, now()), **{name: getattr(assignment, name) for name in DETAIL_FIELDS},
            "feedback": _feedback_as_department_sees_it(feedback)}


def _on_assignment(assignment_id: int, change: Callable[[Actor, Assignment], Any]) -> Any:
    """One handler action in one transaction; answers with what it made, or the updated assignment."""
    actor = Actor.staff(current_staff())
    assignment = assignments.get_assignment(actor, assignment_id)
    made = change(actor, assignment)
    db.session.commit()
    return made if made is not None else _detail(assignment)


def _extension_item(request: ExtensionRequest) -> dict[str, Any]:
    assignment = request.assignment
    fields = ("id", "assignment_id", "days", "reason", "status", "requested_at", "decided_at", "decision_note")
    return {**{name: getattr(request, name) for name in fields}, "department": assignment.department,
            "due_at": assignment.due_at, "due_provisional": assignment.due_provisional,
            "extension_days": assignment.extension_days}


def _page(query: Select, args: dict[str, Any]) -> tuple[list, int, dict[str, int]]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()
    return rows, total, {"page": args["page"], "per_page": args["per_page"]}


# --------------------------------------------------------------------------------------- queries


def _due_state_filter(query: Select, state: str, moment: datetime) -> Select:
    """The traffic light as due_at ranges: overdue ≤ now < due_soon ≤ soon_end < on_time.

    due_soon means at most N working days left (``WorkCalendar.working_days_left``), i.e. the due
    moment is no later than the start of the (N+1)-th working day after today.
    """
    query = query.where(Assignment.status.in_(RUNNING_ASSIGNMENT))
    if state == "overdue":
        return query.where(Assignment.due_at <= moment)
    soon_end = deadlines.add_days(moment, deadlines.days("due_soon") + 1) - timedelta(days=1)
    if state == "due_soon":
        return query.where(Assignment.due_at > moment, Assignment.due_at <= soon_end)
    return query.where(Assignment.due_at > soon_end)


def _assignment_query(actor: Actor, args: dict[str, Any], moment: datetime) -> Select:
    query = select(Assignment, Feedback).join(Feedback, Feedback.id == Assignment.feedback_id)
    if actor.role == "handler":
        query = query.where(Assignment.department_id == actor.department_id)
    if args.get("department"):
        dept_id = db.session.scalar(select(Department.id).where(Department.code == args["department"]))
        if dept_id is None:
            raise ValidationFailed(errors={"department": [f"未找到部门“{args['department']}”"]})
        query = query.where(Assignment.department_id == dept_id)
    if args.get("status"):
        query = query.where(Assignment.status == args["status"])
    if args.get("state"):
        query = _due_state_filter(query, args["state"], moment)
    return query.order_by(Assignment.due_at, Assignment.id)


# ----------------------------------------------------------------------------------------- views


@blp.route("/assignments", methods=["GET"])
@require_roles(*ASSIGNMENT_READERS)
@blp.arguments(AssignmentListIn, location="query")
@blp.response(200, AssignmentPageOut)
def list_assignments(args):
    """交办单列表，按办理期限由近到远排列。办理人员只能看到本部门的交办单。"""
    moment = now()
    rows, total, paging = _page(_assignment_query(Actor.staff(current_staff()), args, moment), args)
    return {"items": [_item(a, fb, moment) for a, fb in rows], "total": total, **paging}


@blp.route(f"/assignments/{ID.format('assignment_id')}", methods=["GET"])
@require_roles(*ASSIGNMENT_READERS)
@blp.response(200, AssignmentDetailOut)
@blp.alt_response(404, description="交办单不存在，或不属于本部门（assignment_not_found）")
def get_assignment(assignment_id: int):
    """交办单详情：期限、延期申请、整改反馈，以及反映内容（不含任何可识别反映人的信息）。"""
    return _detail(assignments.get_assignment(Actor.staff(current_staff()), assignment_id))


@blp.route(f"/assignments/{ID.format('assignment_id')}/acknowledge", methods=["POST"])
@require_roles("handler")
@blp.response(200, AssignmentDetailOut)
@blp.alt_response(409, description="当前状态不能签收（invalid_state）")
def acknowledge(assignment_id: int):
    """签收交办单。"""
    return _on_assignment(assignment_id, assignments.acknowledge)


@blp.route(f"/assignments/{ID.format('assignment_id')}/return", methods=["POST"])
@require_roles("handler")
@blp.arguments(ReturnIn)
@blp.response(200, AssignmentDetailOut)
@blp.alt_response(409, description="已超过退回期限（return_window_closed）或当前状态不能退回（invalid_state）")
def return_assignment(payload, assignment_id: int):
    """退回交办单（不属于本部门职责），须在交办后 2 个工作日内；主办部门退回后由组织部重新研判。"""
    return _on_assignment(assignment_id, lambda a, x: assignments.return_assignment(a, x, payload["reason"]))


@blp.route(f"/assignments/{ID.format('assignment_id')}/extensions", methods=["POST"])
@require_roles("handler")
@blp.arguments(ExtensionIn)
@blp.response(201, ExtensionOut)
@blp.alt_response(409, description="已超期（already_overdue）、已有待审批申请（extension_pending）或状态不允许")
def request_extension(payload, assignment_id: int):
    """申请延期（工作日），累计不超过 10 个工作日，由组织部审批。"""
    return _on_assignment(assignment_id, lambda a, x: assignments.request_extension(
        a, x, payload["days"], payload["reason"]))


@blp.route(f"/assignments/{ID.format('assignment_id')}/upward-report", methods=["POST"])
@require_roles("handler")
@blp.arguments(UpwardReportIn)
@blp.response(200, AssignmentDetailOut)
@blp.alt_response(409, description="不是“转市直部门上报”的交办单（not_escalated）或状态不允许")
def report_upward(payload, assignment_id: int):
    """记录已向上级（省直）部门反映的对象和时间（转市直部门上报的交办单，须在提交整改反馈前记录）。"""
    return _on_assignment(assignment_id, lambda a, x: assignments.report_upward(a, x, payload["reported_to"]))


@blp.route(f"/assignments/{ID.format('assignment_id')}/reports", methods=["POST"])
@require_roles("handler")
@blp.arguments(ReportIn)
@blp.response(201, ReportOut)
@blp.alt_response(409, description="尚未记录向上反映（upward_report_missing）、等待反映人补充或状态不允许")
def submit_report(payload, assignment_id: int):
    """提交整改反馈（整改措施、结果），由组织部对账销号或退回返工。"""
    return _on_assignment(assignment_id, lambda a, x: assignments.respond(
        a, x, measures=payload["measures"], result=payload["result"], summary=payload.get("summary"),
        attachments=payload["attachments"]))


@blp.route("/extensions", methods=["GET"])
@require_roles(*ORG_ROLES)
@blp.arguments(ExtensionListIn, location="query")
@blp.response(200, ExtensionPageOut)
def list_extensions(args):
    """延期申请列表（默认只列待审批的），按申请时间排列。"""
    query = (select(ExtensionRequest).where(ExtensionRequest.status == args["status"])
             .order_by(ExtensionRequest.requested_at, ExtensionRequest.id))
    rows, total, paging = _page(query, args)
    return {"items": [_extension_item(r) for (r,) in rows], "total": total, **paging}


@blp.route(f"/extensions/{ID.format('request_id')}/decision", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(ExtensionDecisionIn)
@blp.response(200, ExtensionItemOut)
@blp.alt_response(409, description="该申请已审批（extension_decided）或交办单状态不允许")
def decide_extension(payload, request_id: int):
    """审批延期申请；同意后办理期限顺延相应的工作日。"""
    request = assignments.get_extension_request(request_id)
    assignments.decide_extension(Actor.staff(current_staff()), request, payload["approve"], payload.get("note"))
    db.session.commit()
    return _extension_item(request)


@blp.route(f"/reports/{ID.format('report_id')}/verdict", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(VerdictIn)
@blp.response(200, ReportOut)
@blp.alt_response(409, description="该整改反馈已核验（report_verified）或交办单状态不允许")
def verdict(payload, report_id: int):
    """核验整改反馈：accept 对账销号，send_back 退回返工（须写明理由）。"""
    report = assignments.get_report(report_id)
    decide = assignments.accept if payload["verdict"] == "accept" else assignments.send_back
    decide(Actor.staff(current_staff()), report, payload.get("note"))
    db.session.commit()
    return report
