"""Allowed transitions of feedback and assignments, and who may make them. Pure.

Every service asks ``check`` before changing a status; an illegal action raises
``TransitionNotAllowed`` whose message names the current state in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

FEEDBACK_STATUS_LABELS = {
    "submitted": "待研判",
    "assigned": "已交办",
    "in_consultation": "会商中",
    "responded": "已反馈",
    "closed": "已办结",
    "needs_info": "待补充",
    "rejected": "不予受理",
    "merged": "已合并",
}

ASSIGNMENT_STATUS_LABELS = {
    "pending": "待签收",
    "acknowledged": "已签收",
    "responded": "已反馈",
    "accepted": "已销号",
    "returned": "已退回",
    "sent_back": "返工",
    "waived": "免报",
}

# ---- Role groups: who is who, named once (DESIGN §3). Tuples keep a stable order for messages and docs.
STAFF_ROLES = ("admin", "triage", "handler", "liaison", "viewer")
ORG_ROLES = ("triage", "admin")  # the org department: decides, routes, verifies, sees the contact
READER_ROLES = ("triage", "admin", "viewer")  # see every feedback and every department's work
ASSIGNMENT_READERS = ("handler", "triage", "admin", "viewer")  # handlers: their own department only

# ---- Lifecycle sets of an assignment (DESIGN §4).
OPEN_ASSIGNMENT = ("pending", "acknowledged", "responded", "sent_back")  # not yet closed for the department
RUNNING_ASSIGNMENT = ("pending", "acknowledged", "sent_back")  # the deadline clock runs for these only

TRIAGE = frozenset(ORG_ROLES)
HANDLER = frozenset({"handler"})
REPORTER = frozenset({"reporter"})
SYSTEM = frozenset({"system"})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the status does not change (or is decided by the service)
    roles: frozenset[str]


def _t(action: str, label: str, sources: set[str], target: str | None, roles: frozenset[str]) -> Transition:
    return Transition(action, label, frozenset(sources), target, roles)


OPEN = {"submitted", "assigned", "in_consultation", "responded", "needs_info"}

FEEDBACK_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("retag", "修改标签", OPEN | {"closed"}, None, TRIAGE),
        _t("reject", "不予受理", {"submitted", "needs_info"}, "rejected", TRIAGE),
        _t("merge", "合并重复反映", {"submitted", "needs_info"}, "merged", TRIAGE),
        _t("ask_reporter", "向反映人提问", {"submitted", "assigned", "in_consultation"}, "needs_info", TRIAGE),
        _t("reporter_answer", "反映人答复", {"needs_info"}, None, REPORTER),
        _t("assign", "交办", {"submitted"}, "assigned", TRIAGE),
        _t("escalate", "转市直部门上报", {"submitted"}, "assigned", TRIAGE),
        _t("convene", "提交集中会商", {"submitted"}, "in_consultation", TRIAGE),
        _t("assign_from_consultation", "按会商结果交办", {"in_consultation"}, "assigned", TRIAGE),
        _t("returned_to_triage", "主办部门退回，重新研判", {"assigned"}, "submitted", SYSTEM),
        _t("responded", "部门已反馈", {"assigned"}, "responded", SYSTEM),
        _t("reassign", "返工后继续办理", {"responded"}, "assigned", SYSTEM),
        _t("close", "办结", {"responded"}, "closed", TRIAGE),
        _t("rate", "评价", {"closed"}, None, REPORTER),
        _t("reopen", "不满意重新办理", {"closed"}, "submitted", REPORTER),
    )
}

ASSIGNMENT_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("acknowledge", "签收", {"pending"}, "acknowledged", HANDLER),
        _t("return", "退回", {"pending", "acknowledged"}, "returned", HANDLER),
        _t("request_extension", "申请延期", {"pending", "acknowledged", "sent_back"}, None, HANDLER),
        _t("decide_extension", "审批延期", {"pending", "acknowledged", "sent_back"}, None, TRIAGE),
        _t("report_upward", "记录向上反映", {"acknowledged", "sent_back"}, None, HANDLER),
        _t("respond", "提交整改反馈", {"acknowledged", "sent_back"}, "responded", HANDLER),
        _t("accept", "对账销号", {"responded"}, "accepted", TRIAGE),
        _t("send_back", "退回返工", {"responded"}, "sent_back", TRIAGE),
        # 免报: the org department decides, with a reason, that a cooperating department need not report;
        # never 已销号, which means a report was verified.
        _t("waive", "免报", {"pending", "acknowledged", "sent_back"}, "waived", TRIAGE),
    )
}


class TransitionNotAllowed(Exception):
    """An action that the current state or the actor's role does not allow."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # "state" or "role"


def _check(
    table: dict[str, Transition], labels: dict[str, str], what: str, action: str, status: str, role: str
) -> Transition:
    transition = table.get(action)
    if transition is None:
        raise ValueError(f"unknown {what} action {action!r}")
    if role not in transition.roles:
        raise TransitionNotAllowed(f"当前角色无权执行“{transition.label}”", reason="role")
    if status not in transition.sources:
        raise TransitionNotAllowed(
            f"该{what}当前状态为“{labels.get(status, status)}”，不能执行“{transition.label}”", reason="state"
        )
    return transition


def check_feedback(action: str, status: str, role: str) -> Transition:
    return _check(FEEDBACK_TRANSITIONS, FEEDBACK_STATUS_LABELS, "反映", action, status, role)


def check_assignment(action: str, status: str, role: str) -> Transition:
    return _check(ASSIGNMENT_TRANSITIONS, ASSIGNMENT_STATUS_LABELS, "交办单", action, status, role)
