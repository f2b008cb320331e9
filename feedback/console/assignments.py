"""交办单 (assignments): the list (我的交办单 for handlers), one assignment's page and its actions.

Every action is the API's (``feedback.api.staff.assignments``) through the same service, in one
transaction. Handlers reach their own department's assignments only: another department's id is
"not found" for them, exactly as in the API. A department sees ``department_view`` of the feedback
(the content and the day, nothing that could identify the reporter) and dates, never times.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app, flash, g, redirect, render_template, request, send_file, url_for
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from feedback.api.staff import ID
from feedback.api.staff.schemas_assignments import DUE_STATES, ExtensionIn, ReportIn, ReturnIn, UpwardReportIn
from feedback.console import bp, pages
from feedback.errors import AppError, Forbidden, ValidationFailed
from feedback.extensions import db
from feedback.labels import KIND_LABELS
from feedback.services.handling import assignments, deadlines, report_attachments, views
from feedback.services.handling.actors import Actor
from feedback.services.paging import Total
from feedback.services.triage.assigning import active_departments
from feedback.timeutil import local_date
from feedback.workflow import ASSIGNMENT_READERS, ASSIGNMENT_STATUS_LABELS, ORG_ROLES

if TYPE_CHECKING:
    from feedback.models import Assignment

# The deadline light in words (the API's codes), and 待签收 as the fourth choice of the same filter.
DUE_STATE_LABELS = {"on_time": "正常", "due_soon": "临期", "overdue": "超期"}
DUE_FILTERS = {**DUE_STATE_LABELS, "pending": "待签收"}
ROLE_LABELS = {"primary": "主办", "cooperating": "协办"}
PATH_LABELS = {"direct": "直接交办", "escalate": "转市直部门上报", "consult": "会商后交办"}


def actor() -> Actor:
    return Actor.staff(g.staff)


def require(roles: tuple[str, ...], message: str) -> None:
    if g.staff.role not in roles:
        raise Forbidden(message)


def form_input(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """Form fields checked by the API's own schema; its Chinese messages become field errors."""
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise ValidationFailed(errors=exc.messages) from None  # type: ignore[arg-type]


def size_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def days_left_text(left: int | None) -> str:
    """Working days left in words: negative is overdue (``deadlines.days_left``)."""
    if left is None:
        return "—"
    if left < 0:
        return f"已超期 {-left} 个工作日"
    return "今天到期" if left == 0 else f"剩余 {left} 个工作日"


def due_day(moment):
    """The day a due time falls on (due times are the end of that day)."""
    return deadlines.day_of(moment) if moment else None


def day(moment):
    return local_date(moment) if moment else None


TEMPLATE_HELPERS = {
    "day": day,
    "days_left": days_left_text,
    "due_day": due_day,
    "due_label": DUE_STATE_LABELS,
    "status_label": ASSIGNMENT_STATUS_LABELS,
    "role_label": ROLE_LABELS,
    "path_label": PATH_LABELS,
    "kind_label": KIND_LABELS,
}


# ------------------------------------------------------------------------------------------ list


def _filter(paging: pages.Paging) -> views.AssignmentFilter:
    """The list's filters from the URL; anything unknown is ignored rather than refused."""
    args = request.args
    wanted = views.AssignmentFilter(
        page=paging.page, per_page=paging.per_page, exact_total=request.args.get("exact") == "1"
    )
    due = args.get("due_state", "")
    if due == "pending":
        wanted.status = "pending"
    elif due in DUE_STATES:
        wanted.state = due
    if args.get("status") in ASSIGNMENT_STATUS_LABELS:
        wanted.status = args["status"]
    if g.staff.role != "handler" and args.get("department"):
        wanted.department = args["department"]
    return wanted


@bp.route("/assignments", endpoint="assignments")
def assignments_list():
    require(ASSIGNMENT_READERS, "您的账号不能查看交办单")
    paging = pages.paging()
    wanted = _filter(paging)
    try:
        items, total = views.list_assignments(actor(), wanted)
    except ValidationFailed as error:
        items, total, problem = [], Total(0), pages.error_text(error)
    else:
        problem = None
    departments = [] if g.staff.role == "handler" else active_departments()
    return render_template(
        "console/assignments.html",
        items=items,
        total=total.value,
        counted=total,
        paging=paging,
        problem=problem,
        departments=departments,
        due_filters=DUE_FILTERS,
        statuses=ASSIGNMENT_STATUS_LABELS,
        mine=g.staff.role == "handler",
        **TEMPLATE_HELPERS,
    )


@bp.route("/my-assignments")
def my_assignments():
    """The handler's menu entry: the same list, scoped to the department by the service."""
    require(("handler",), "只有部门办理人员有“我的交办单”，请从交办单列表查看")
    return assignments_list()


# ------------------------------------------------------------------------------------------ detail


def _detail_page(assignment: Assignment, errors: dict | None = None, typed: dict | None = None, status: int = 200):
    detail = views.detail(assignment)
    reports = [
        {"report": r, "files": report_attachments.of_report(r)}
        for r in assignment.reports  # oldest first: the send-back history
    ]
    return render_template(
        "console/assignment_detail.html",
        a=detail,
        assignment=assignment,
        reports=reports,
        history=views.assignment_history(assignment),
        is_handler=g.staff.role == "handler",
        is_org=g.staff.role in ORG_ROLES,
        errors=errors or {},
        typed=typed or {},
        pending_extension=any(r.status == "requested" for r in assignment.extension_requests),
        file_limit=size_text(current_app.config["REPORT_ATTACHMENT_MAX_BYTES"]),
        total_limit=size_text(current_app.config["MAX_CONTENT_LENGTH"] or 0),
        **TEMPLATE_HELPERS,
    ), status


@bp.route(f"/assignments/{ID.format('assignment_id')}")
def assignment_detail(assignment_id: int):
    require(ASSIGNMENT_READERS, "您的账号不能查看交办单")
    return _detail_page(assignments.get_assignment(actor(), assignment_id))


def _handler_action(assignment_id: int, change: Callable[[Actor, Assignment], Any], done: str) -> Response:
    """A handler's action on an assignment of the department, in one transaction."""
    require(("handler",), "只有承办部门的办理人员可以办理交办单")
    who = actor()
    assignment = assignments.get_assignment(who, assignment_id)
    back = url_for("console.assignment_detail", assignment_id=assignment_id)
    return pages.act(lambda: change(who, assignment), done, back)


@bp.post(f"/assignments/{ID.format('assignment_id')}/acknowledge")
def assignment_acknowledge(assignment_id: int):
    return _handler_action(assignment_id, assignments.acknowledge, "已签收，请在办理期限内提交整改反馈")


@bp.post(f"/assignments/{ID.format('assignment_id')}/return")
def assignment_return(assignment_id: int):
    def change(who: Actor, assignment: Assignment) -> None:
        reason = form_input(ReturnIn, {"reason": request.form.get("return_reason", "")})["reason"]
        assignments.return_assignment(who, assignment, reason)

    return _handler_action(assignment_id, change, "已退回，组织部将重新研判")


@bp.post(f"/assignments/{ID.format('assignment_id')}/extension")
def assignment_extension(assignment_id: int):
    def change(who: Actor, assignment: Assignment) -> None:
        raw = request.form.get("days", "").strip()
        days = int(raw) if raw.isdigit() else raw
        data = form_input(ExtensionIn, {"days": days, "reason": request.form.get("reason", "")})
        assignments.request_extension(who, assignment, data["days"], data["reason"])

    return _handler_action(assignment_id, change, "延期申请已提交，等待组织部审批")


@bp.post(f"/assignments/{ID.format('assignment_id')}/upward")
def assignment_upward(assignment_id: int):
    def change(who: Actor, assignment: Assignment) -> None:
        data = form_input(UpwardReportIn, {"reported_to": request.form.get("reported_to", "")})
        assignments.report_upward(who, assignment, data["reported_to"])

    return _handler_action(assignment_id, change, "已记录向上反映情况")


@bp.post(f"/assignments/{ID.format('assignment_id')}/report")
def assignment_report(assignment_id: int):
    """提交整改反馈 with its files, uploaded in the same request through the API's upload service.

    A refused report rolls back (the stored files are swept with it) and shows the form again with
    what was typed; the files have to be chosen again.
    """
    require(("handler",), "只有承办部门的办理人员可以提交整改反馈")
    who = actor()
    assignment = assignments.get_assignment(who, assignment_id)
    typed = {name: request.form.get(name, "") for name in ("measures", "result", "summary")}
    limit = current_app.config["REPORT_ATTACHMENT_MAX_BYTES"]
    files = [f for f in request.files.getlist("files") if f.filename]
    try:
        data = form_input(ReportIn, {**typed, "summary": typed["summary"].strip() or None})
        if len(files) > 9:
            raise ValidationFailed(errors={"files": ["最多 9 个附件"]})
        ids = [report_attachments.save_report_attachment(g.staff, f.read(limit + 1)).id for f in files]
        assignments.respond(
            who, assignment, measures=data["measures"], result=data["result"], summary=data["summary"], attachments=ids
        )
    except AppError as error:
        db.session.rollback()
        errors = error.errors if isinstance(error, ValidationFailed) and error.errors else {}
        if not errors:
            errors = {"_": [error.message]}
        elif "file" in errors:
            errors = {**errors, "files": errors.pop("file")}
        return _detail_page(assignments.get_assignment(who, assignment_id), errors, typed, error.status)
    db.session.commit()
    flash("整改反馈已提交，等待组织部核验", "success")
    return redirect(url_for("console.assignment_detail", assignment_id=assignment_id))


@bp.post(f"/assignments/{ID.format('assignment_id')}/waive")
def assignment_waive(assignment_id: int):
    require(ORG_ROLES, "只有组织部可以决定免报")
    who = actor()
    assignment = assignments.get_assignment(who, assignment_id)

    def change() -> None:
        reason = request.form.get("waive_reason", "").strip()
        if not reason or len(reason) > 500:
            raise ValidationFailed(errors={"reason": ["请写明免报理由（不超过 500 个字）"]})
        assignments.waive(who, assignment, reason)

    return pages.act(change, "已决定免报", url_for("console.assignment_detail", assignment_id=assignment_id))


@bp.route("/report-files/<string:attachment_id>")
def report_file(attachment_id: str):
    """A report's file, for the org department and the department it belongs to; never cached."""
    attachment, path = report_attachments.readable(actor(), attachment_id)
    name = f"整改材料-{attachment.id[:8]}{path.suffix}"
    data = io.BytesIO(path.read_bytes())
    response = send_file(data, mimetype=attachment.content_type, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(error: RequestEntityTooLarge):
    """Files over the request limit (the report form's files together): a page in words, not JSON."""
    limit = size_text(current_app.config["MAX_CONTENT_LENGTH"] or 0)
    message = f"一次提交的文件合计不能超过 {limit}，请压缩文件或减少附件后重新提交。"
    return render_template("console/error.html", title="文件过大", message=message), 413
