"""A department's assignments (交办单): list, detail, handling; extension approval and report verification.

Handlers see their own department's assignments only: another department's id answers 404, exactly
as a missing one does (``services.handling.assignments.get_assignment``). Departments see a feedback without
anything that could identify the reporter: no contact details, no exact time, no messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from feedback.extensions import db
from feedback.services.handling import assignments, views
from feedback.services.handling.actors import Actor
from feedback.workflow import ASSIGNMENT_READERS, ORG_ROLES


def _on_assignment(assignment_id: int, change: Callable[[Actor, Any], Any]) -> Any:
    """One handler action in one transaction; answers with what it made, or the updated assignment."""
    actor = Actor.staff(current_staff())
    assignment = assignments.get_assignment(actor, assignment_id)
    made = change(actor, assignment)
    db.session.commit()
    return made if made is not None else views.detail(assignment)


@blp.route("/assignments", methods=["GET"])
@require_roles(*ASSIGNMENT_READERS)
@blp.arguments(AssignmentListIn, location="query")
@blp.response(200, AssignmentPageOut)
def list_assignments(args):
    """交办单列表，按办理期限由近到远排列。办理人员只能看到本部门的交办单。

    总条数超过 10000 时默认不精确统计（total=10000、total_exact=false，界面显示“1 万+”），
    需要精确数字时加 exact_total=true。"""
    items, total = views.list_assignments(Actor.staff(current_staff()), views.AssignmentFilter(**args))
    return {
        "items": items,
        "total": total.value,
        "total_exact": total.exact,
        "page": args["page"],
        "per_page": args["per_page"],
    }


@blp.route(f"/assignments/{ID.format('assignment_id')}", methods=["GET"])
@require_roles(*ASSIGNMENT_READERS)
@blp.response(200, AssignmentDetailOut)
@blp.alt_response(404, description="交办单不存在，或不属于本部门（assignment_not_found）")
def get_assignment(assignment_id: int):
    """交办单详情：期限、延期申请、整改反馈，以及反映内容（不含任何可识别反映人的信息）。"""
    return views.detail(assignments.get_assignment(Actor.staff(current_staff()), assignment_id))


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
    return _on_assignment(
        assignment_id, lambda a, x: assignments.request_extension(a, x, payload["days"], payload["reason"])
    )


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
    return _on_assignment(
        assignment_id,
        lambda a, x: assignments.respond(
            a,
            x,
            measures=payload["measures"],
            result=payload["result"],
            summary=payload.get("summary"),
            attachments=payload["attachments"],
        ),
    )


@blp.route("/extensions", methods=["GET"])
@require_roles(*ORG_ROLES)
@blp.arguments(ExtensionListIn, location="query")
@blp.response(200, ExtensionPageOut)
def list_extensions(args):
    """延期申请列表（默认只列待审批的），按申请时间排列。"""
    items, total = views.list_extensions(args["status"], args["page"], args["per_page"])
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


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
    return views.extension_item(request)


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
