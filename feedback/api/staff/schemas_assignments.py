"""Request and response schemas of a department's assignments (交办单), extensions and reports."""

from __future__ import annotations

from marshmallow import ValidationError, validate, validates_schema

from feedback.api import fields as f
from feedback.api.fields import CodeNameOut, PageIn, PageOut, Schema
from feedback.models import ASSIGNMENT_STATUSES

DUE_STATES = ("on_time", "due_soon", "overdue")
DUE_STATE_HELP = "期限状态：on_time 正常、due_soon 临期、overdue 超期；已反馈、已销号、已退回的为 null"
PROVISIONAL_HELP = (
    "期限是否为暂定：所计工作日落在尚未公布节假日安排的年份，暂按法定节假日计算，国务院办公厅公布安排后自动校正"
)


def _text(max_chars: int, what: str) -> list[validate.Validator]:
    return [
        validate.Length(min=1, max=max_chars, error=f"{what}应为 1–{max_chars} 个字"),
        validate.Regexp(r"\S", error=f"{what}不能为空"),
    ]


# ------------------------------------------------------------------------------------------ requests


class AssignmentListIn(PageIn):
    status = f.String(
        validate=validate.OneOf(ASSIGNMENT_STATUSES, error="状态应为 " + "、".join(ASSIGNMENT_STATUSES)),
        metadata={"description": "交办单状态"},
    )
    state = f.String(
        validate=validate.OneOf(DUE_STATES, error="期限状态应为 on_time、due_soon 或 overdue"),
        metadata={"description": "期限状态（只含办理中的交办单）：on_time、due_soon、overdue"},
    )
    department = f.String(
        validate=validate.Length(min=1, max=32, error="部门代码格式不正确"),
        metadata={"description": "部门代码（组织部等可用；办理人员只能看到本部门）"},
    )
    exact_total = f.Boolean(
        load_default=False,
        metadata={"description": "true 时精确统计总条数；默认超过 10000 条只答 total=10000、total_exact=false"},
    )


class ReturnIn(Schema):
    reason = f.String(
        required=True, validate=_text(500, "退回理由"), metadata={"description": "退回理由（如不属于本部门职责）"}
    )


class ExtensionIn(Schema):
    days = f.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, error="延期天数应为正整数（工作日）"),
        metadata={"description": "申请延长的工作日数"},
    )
    reason = f.String(required=True, validate=_text(500, "延期理由"))


class UpwardReportIn(Schema):
    reported_to = f.String(
        required=True,
        validate=_text(128, "反映对象"),
        metadata={"description": "向哪个上级部门反映（如 中原省统计局）"},
    )


class ReportIn(Schema):
    measures = f.String(required=True, validate=_text(3000, "整改措施"))
    result = f.String(required=True, validate=_text(3000, "整改结果"))
    summary = f.String(
        allow_none=True,
        validate=validate.Length(max=500, error="给反映人的说明不超过 500 个字"),
        metadata={"description": "给反映人看的简要说明（可选，会显示在反映人的进度中）"},
    )
    attachments = f.List(
        f.String(validate=validate.Regexp(r"^[0-9a-f]{32}$", error="附件编号无效")),
        load_default=list,
        validate=validate.Length(max=9, error="最多 9 个附件"),
        metadata={"description": "POST /uploads 返回的附件编号（本部门上传、尚未使用的）"},
    )


class ExtensionListIn(PageIn):
    status = f.String(
        load_default="requested",
        validate=validate.OneOf(("requested", "approved", "refused"), error="状态应为 requested、approved 或 refused"),
    )


class ExtensionDecisionIn(Schema):
    approve = f.Boolean(required=True, metadata={"description": "true 同意，false 不同意"})
    note = f.String(allow_none=True, validate=validate.Length(max=500, error="审批意见不超过 500 个字"))


class VerdictIn(Schema):
    verdict = f.String(
        required=True,
        validate=validate.OneOf(("accept", "send_back"), error="核验结果应为 accept（销号）或 send_back（退回返工）"),
    )
    note = f.String(allow_none=True, validate=validate.Length(max=1000, error="核验意见不超过 1000 个字"))

    @validates_schema
    def _note_for_send_back(self, data, **kwargs):
        if data.get("verdict") == "send_back" and not (data.get("note") or "").strip():
            raise ValidationError("退回返工须写明理由", "note")


# ----------------------------------------------------------------------------------------- responses


class AssignmentItemOut(Schema):
    id = f.Integer()
    feedback_id = f.Integer()
    kind = f.String(metadata={"description": "反映类型"})
    excerpt = f.String(metadata={"description": "反映内容摘要"})
    department = f.Nested(CodeNameOut)
    role = f.String(metadata={"description": "primary 主办 / cooperating 协办"})
    path = f.String(metadata={"description": "direct 直接交办 / escalate 转市直部门上报 / consult 集中会商"})
    status = f.String()
    status_label = f.String()
    assigned_at = f.DateTime()
    due_at = f.DateTime()
    due_provisional = f.Boolean(metadata={"description": PROVISIONAL_HELP})
    due_note = f.String(allow_none=True, metadata={"description": "期限为暂定时给出的说明"})
    due_state = f.String(allow_none=True, metadata={"description": DUE_STATE_HELP})
    working_days_left = f.Integer(allow_none=True, metadata={"description": "剩余工作日（0 为今天到期，负数为已超期）"})


class AssignmentPageOut(PageOut):
    items = f.List(f.Nested(AssignmentItemOut))
    total_exact = f.Boolean(metadata={"description": "false 表示超过 total 条（未精确统计，可加 exact_total=true）"})


class ExtensionOut(Schema):
    id = f.Integer()
    assignment_id = f.Integer()
    days = f.Integer()
    reason = f.String()
    status = f.String(metadata={"description": "requested 待审批 / approved 已同意 / refused 未同意"})
    requested_at = f.DateTime()
    decided_at = f.DateTime(allow_none=True)
    decision_note = f.String(allow_none=True)


class ExtensionItemOut(ExtensionOut):
    department = f.Nested(CodeNameOut)
    due_at = f.DateTime(metadata={"description": "交办单当前的办理期限"})
    due_provisional = f.Boolean(metadata={"description": PROVISIONAL_HELP})
    extension_days = f.Integer(metadata={"description": "交办单已累计延期的工作日数"})


class ExtensionPageOut(PageOut):
    items = f.List(f.Nested(ExtensionItemOut))


class ReportOut(Schema):
    id = f.Integer()
    assignment_id = f.Integer()
    measures = f.String()
    result = f.String()
    summary = f.String(attribute="summary_for_reporter", allow_none=True)
    attachments = f.List(f.String())
    submitted_at = f.DateTime()
    verdict = f.String(metadata={"description": "pending 待核验 / accepted 已销号 / sent_back 退回返工"})
    verdict_note = f.String(allow_none=True)
    verified_at = f.DateTime(allow_none=True)


class DepartmentViewOfFeedbackOut(Schema):
    """What a department may know of a feedback: never who sent it, nor when to the minute."""

    id = f.Integer()
    kind = f.String()
    content = f.String()
    tags = f.List(f.Nested(CodeNameOut))
    submitted_on = f.Date(metadata={"description": "提交日期（只到天）"})
    region_code = f.String(allow_none=True)
    point = f.Nested(CodeNameOut, allow_none=True, metadata={"description": "观测点"})
    attachments = f.List(f.String(), metadata={"description": "附件编号"})
    waiting_for_reporter = f.Boolean(metadata={"description": "正在等待反映人补充情况（期限暂停）"})


class AssignmentDetailOut(AssignmentItemOut):
    instructions = f.String(allow_none=True, metadata={"description": "交办意见"})
    acknowledge_due_at = f.DateTime()
    return_due_at = f.DateTime()
    acknowledged_at = f.DateTime(allow_none=True)
    responded_at = f.DateTime(allow_none=True)
    accepted_at = f.DateTime(allow_none=True)
    returned_at = f.DateTime(allow_none=True)
    return_reason = f.String(allow_none=True)
    waived_at = f.DateTime(allow_none=True, metadata={"description": "组织部决定免报的时间"})
    waive_reason = f.String(allow_none=True, metadata={"description": "免报理由"})
    extension_days = f.Integer()
    reported_upward_at = f.DateTime(allow_none=True)
    reported_upward_to = f.String(allow_none=True)
    extension_requests = f.List(f.Nested(ExtensionOut))
    reports = f.List(f.Nested(ReportOut))
    feedback = f.Nested(DepartmentViewOfFeedbackOut)
