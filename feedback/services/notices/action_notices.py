"""Notices that bring people to the console when someone acts: queued in the action's own transaction.

A department hears of a new assignment, of a send-back (返工) and of the decision on its extension
request; the org department hears of a return, of a reporter's answer and of a 不满意 rating. Each
notice links to its console page (``links``) and has a dedupe key naming the thing it reports (this
assignment, this report, this extension request, this question, this closure), so a retried request
never queues it twice.

What a department is told is no more than ``department_view`` shows: numbers and days, never the
reporter, a contact, an exact time or the text of a complaint. Notices to the org department say
that a reporter acted, not what they wrote (that stays in the console, behind the login).
"""

from __future__ import annotations

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Assignment, Event, ExtensionRequest, Feedback, Message, RectificationReport
from feedback.services.handling import deadlines
from feedback.services.notices import links
from feedback.services.notices.queue import enqueue

KINDS = frozenset({"assigned", "returned", "sent_back", "extension_decided", "reporter_answered", "rated_unsatisfied"})
ROLE_WORDS = {"primary": "主办", "cooperating": "协办"}
REASON_MAX = 200  # a reason or note quoted in a notice is cut here; the whole text is in the console


def _day(moment) -> str:
    return deadlines.day_of(moment).isoformat()


def _due(assignment: Assignment) -> str:
    return _day(assignment.due_at) + ("（暂定）" if assignment.due_provisional else "")


def _quote(text: str | None) -> str:
    text = (text or "").strip()
    return text if len(text) <= REASON_MAX else text[:REASON_MAX] + "…"


def _payload(assignment: Assignment, **extra) -> dict:
    return {
        "assignment_id": assignment.id,
        "feedback_id": assignment.feedback_id,
        "department": assignment.department.code,
        "due_day": _day(assignment.due_at),
        **extra,
    }


def _link(kind: str, payload: dict) -> str:
    page = links.page_for(kind, payload)
    return links.absolute(page) if page else ""


def _to_department(assignment: Assignment, kind: str, key: str, subject: str, body: str, **extra) -> None:
    payload = _payload(assignment, **extra)
    enqueue(
        kind=kind,
        dedupe_key=key,
        subject=subject,
        body=f"{body}请登录控制台查看并办理：{_link(kind, payload)}",
        department_id=assignment.department_id,
        payload=payload,
    )


def _to_org(kind: str, key: str, subject: str, body: str, payload: dict, *, reporter_step: bool = False) -> None:
    enqueue(
        kind=kind,
        dedupe_key=key,
        subject=subject,
        body=f"{body}请登录控制台查看：{_link(kind, payload)}",
        payload=payload,
        reporter_step=reporter_step,
    )


def assigned(assignment: Assignment) -> None:
    """新交办: the department is told the day it is given the work, not after the first deadline passed."""
    name, fid, role = assignment.department.name, assignment.feedback_id, ROLE_WORDS[assignment.role]
    escalate = "（转市直部门向上反映）" if assignment.path == "escalate" else ""
    _to_department(
        assignment,
        "assigned",
        f"assignment:{assignment.id}:assigned",
        f"【新交办】第 {fid} 号反映交由贵单位{role}",
        f"{name}：组织部将第 {fid} 号反映交由贵单位{role}{escalate}（交办单编号 {assignment.id}）。"
        f"请于 {_day(assignment.acknowledge_due_at)} 前签收，办理期限为 {_due(assignment)}；"
        f"不属于本单位职责的，可于 {_day(assignment.return_due_at)} 前退回并说明理由。",
        role=assignment.role,
    )


def returned(assignment: Assignment, reason: str) -> None:
    """退回: the org department must route the feedback again (primary) or take note (cooperating)."""
    name, fid, role = assignment.department.name, assignment.feedback_id, ROLE_WORDS[assignment.role]
    then = "该反映已回到待研判，请重新研判交办。" if assignment.role == "primary" else ""
    _to_org(
        "returned",
        f"assignment:{assignment.id}:returned",
        f"【退回】{name}退回了第 {fid} 号反映的交办单",
        f"{name}退回了第 {fid} 号反映的交办单（编号 {assignment.id}，{role}），理由：{_quote(reason)}。{then}",
        _payload(assignment, role=assignment.role),
    )


def sent_back(report: RectificationReport, note: str | None) -> None:
    """返工: the department's report was not accepted; it must go on."""
    assignment = report.assignment
    name, fid = assignment.department.name, assignment.feedback_id
    opinion = f"核验意见：{_quote(note)}。" if (note or "").strip() else ""
    _to_department(
        assignment,
        "sent_back",
        f"report:{report.id}:sent_back",
        f"【返工】第 {fid} 号反映的整改反馈需继续整改",
        f"{name}：组织部核验了贵单位就第 {fid} 号反映提交的整改反馈（交办单编号 {assignment.id}），"
        f"要求继续整改。{opinion}办理期限为 {_due(assignment)}，整改后请重新提交整改反馈。",
        report_id=report.id,
    )


def extension_decided(request: ExtensionRequest) -> None:
    """延期审批: approved (with the new due day) or refused (with the deadline that stands)."""
    assignment = request.assignment
    name, fid = assignment.department.name, assignment.feedback_id
    asked = f"{name}：贵单位就第 {fid} 号反映的交办单（编号 {assignment.id}）申请延期 {request.days} 个工作日，"
    note = f"审批意见：{_quote(request.decision_note)}。" if (request.decision_note or "").strip() else ""
    if request.status == "approved":
        subject = f"【延期审批】第 {fid} 号反映的交办单延期申请已同意"
        body = f"{asked}组织部已同意，办理期限延长至 {_due(assignment)}。{note}"
    else:
        subject = f"【延期审批】第 {fid} 号反映的交办单延期申请未获同意"
        body = f"{asked}组织部未同意，办理期限仍为 {_due(assignment)}。{note}"
    _to_department(
        assignment,
        "extension_decided",
        f"extension:{request.id}:decided",
        subject,
        body,
        request_id=request.id,
        approved=request.status == "approved",
    )


def _last_question_id(feedback: Feedback) -> int | None:
    return db.session.scalar(
        select(Message.id)
        .where(Message.feedback_id == feedback.id, Message.direction == "to_reporter")
        .order_by(Message.id.desc())
        .limit(1)
    )


def reporter_answered(feedback: Feedback) -> None:
    """The reporter answered the org department's question: once per question asked."""
    question = _last_question_id(feedback)
    fid = feedback.id
    _to_org(
        "reporter_answered",
        f"feedback:{fid}:answer:{question or 0}",
        f"【补充情况】第 {fid} 号反映的反映人已答复组织部的提问",
        f"反映人已答复组织部对第 {fid} 号反映的提问，各项办理期限已按等待的工作日顺延。",
        {"feedback_id": fid, "question_id": question},
        reporter_step=True,
    )


def _closure_id(feedback: Feedback) -> int | None:
    """The closing event being rated: a reporter rates each closure once."""
    return db.session.scalar(
        select(Event.id)
        .where(Event.feedback_id == feedback.id, Event.action == "close")
        .order_by(Event.id.desc())
        .limit(1)
    )


def rated_unsatisfied(feedback: Feedback, reopened: bool) -> None:
    """不满意: the org department must look again (reopened) or at least know (a second 不满意)."""
    fid = feedback.id
    then = (
        "该反映已退回组织部，请重新研判办理。"
        if reopened
        else "该反映已重新办理过一次，此次不再自动退回，请研究是否需要进一步处理。"
    )
    _to_org(
        "rated_unsatisfied",
        f"feedback:{fid}:unsatisfied:{_closure_id(feedback) or 0}",
        f"【不满意】第 {fid} 号反映的反映人对办理结果不满意",
        f"反映人对第 {fid} 号反映的办理结果评价为“不满意”。{then}",
        {"feedback_id": fid, "reopened": reopened},
        reporter_step=True,
    )
