"""Chinese labels for statuses and timeline actions shown to users."""

from feedback.workflow import ASSIGNMENT_STATUS_LABELS, FEEDBACK_STATUS_LABELS  # noqa: F401 (re-exported)

# Excerpts: one rule for cutting a statement short (whitespace folded, "…" when cut), two lengths.
EXCERPT_CHARS = 60  # a line in a list: the inbox, assignments, tagger examples
QUOTE_CHARS = 120  # a typical feedback quoted in the monthly summary


def excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    """The first ``chars`` characters of ``text`` on one line, with "…" when something was cut."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[:chars] + "…"


KIND_LABELS = {"problem": "问题线索", "suggestion": "意见建议", "practice": "经验做法"}
JOB_OUTCOME_LABELS = {"running": "运行中", "success": "成功", "failed": "失败", "skipped": "跳过（租约被占用）"}
UNIT_LEVELS = {
    "village": "村",
    "community": "社区",
    "township": "乡镇",
    "subdistrict": "街道",
    "county": "县（市、区）直机关",
    "city": "市直机关",
}
IMPOSER_LEVELS = {
    "province": "省直部门",
    "city": "市直部门",
    "district": "县（市、区）部门",
    "township": "乡镇（街道）",
}

# What the reporter reads in the timeline for each event action.
REPORTER_ACTION_LABELS = {
    "submitted": "已收到您的反映",
    "assign": "已交办",
    "escalate": "已转市直部门向上反映",
    "convene": "提交集中会商",
    "assign_from_consultation": "按会商结果交办",
    "acknowledge": "部门已签收",
    "decide_extension": "办理期限延长",
    "report_upward": "已向上级部门反映",
    "respond": "部门已反馈整改情况",
    "send_back": "组织部要求继续整改",
    "close": "已办结",
    "reject": "不予受理",
    "merge": "已合并办理",
    "ask_reporter": "组织部请您补充情况",
    "reporter_answer": "您已补充情况",
    "reopen": "重新办理",
    "deadline_corrected": "办理期限校正",
    "rate": "已评价",
}
