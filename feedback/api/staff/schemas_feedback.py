"""Schemas of the triage side of the staff API."""

from __future__ import annotations

from marshmallow import ValidationError, validate, validates_schema

from feedback.api import fields as f
from feedback.api.fields import CodeNameOut, PageIn, PageOut, Schema
from feedback.labels import FEEDBACK_STATUS_LABELS, KIND_LABELS
from feedback.models.feedback import FEEDBACK_KINDS, FEEDBACK_STATUSES

NOTE = validate.Length(max=2000, error="说明不超过 2000 个字")


def _required_text(label: str, maximum: int = 2000) -> f.String:
    return f.String(
        required=True, validate=validate.Length(min=1, max=maximum, error=f"{label}不能为空，且不超过 {maximum} 个字")
    )


class InboxArgs(PageIn):
    status = f.String(
        validate=validate.OneOf(
            FEEDBACK_STATUSES,
            error="状态应为 " + "、".join(f"{s}（{FEEDBACK_STATUS_LABELS[s]}）" for s in FEEDBACK_STATUSES),
        )
    )
    tag = f.String(metadata={"description": "标签代码，如 peihui"})
    kind = f.String(
        validate=validate.OneOf(
            FEEDBACK_KINDS, error="类型应为 " + "、".join(f"{k}（{KIND_LABELS[k]}）" for k in FEEDBACK_KINDS)
        )
    )
    point = f.String(metadata={"description": "观测点编号"})
    region = f.String(
        validate=validate.Regexp(r"^\d{2,12}$", error="区划代码应为数字"),
        metadata={"description": "区划代码前缀，如 4901 表示该市全部"},
    )
    overdue = f.Boolean(metadata={"description": "true 只看有超期交办单的；false 只看没有的"})
    q = f.String(validate=validate.Length(max=100, error="搜索词不超过 100 个字"), metadata={"description": "全文搜索"})
    order = f.String(
        load_default="newest", validate=validate.OneOf(["newest", "oldest"], error="排序应为 newest 或 oldest")
    )
    after = f.Integer(
        validate=validate.Range(min=1, max=2**63 - 1, error="after 应为反映编号"),
        metadata={"description": "翻页游标：上一页返回的 next_after；给出时忽略 page 的偏移，深翻页也一样快"},
    )
    exact_total = f.Boolean(
        load_default=False,
        metadata={
            "description": "true 时精确统计总条数；默认超过 10000 条只答 total=10000、total_exact=false"
            "（全文搜索超过 1000 条只答 total=1000）"
        },
    )


class StaffTagOut(Schema):
    code = f.String()
    name = f.String()
    score = f.Float()
    matched = f.List(f.String(), metadata={"description": "命中的标签规则词"})
    learned = f.List(f.String(), allow_none=True, metadata={"description": "学习层判定时权重最大的词"})
    tagger_version = f.String(allow_none=True, metadata={"description": "自动标签：打标签的标注器版本"})
    source = f.String()


class AssignmentBrief(Schema):
    id = f.Integer()
    department = f.Nested(CodeNameOut)
    role = f.String()
    path = f.String()
    status = f.String()
    status_label = f.String()
    due_at = f.DateTime()
    due_provisional = f.Boolean(metadata={"description": "期限是否为暂定（按法定节假日计算，公布安排后自动校正）"})
    due_note = f.String(allow_none=True, metadata={"description": "期限为暂定时给出的说明"})
    due_state = f.String(allow_none=True, metadata={"description": "on_time 正常 / due_soon 临期 / overdue 超期"})


class FeedbackSummary(Schema):
    id = f.Integer()
    kind = f.String()
    kind_label = f.String()
    status = f.String()
    status_label = f.String()
    excerpt = f.String()
    tags = f.List(f.Nested(StaffTagOut))
    submitted_on = f.Date(metadata={"description": "提交日期（只到天）"})
    region_code = f.String(allow_none=True)
    point = f.Nested(CodeNameOut, allow_none=True)


class InboxPage(PageOut):
    items = f.List(f.Nested(FeedbackSummary))
    total_exact = f.Boolean(metadata={"description": "false 表示超过 total 条（未精确统计，可加 exact_total=true）"})
    next_after = f.Integer(allow_none=True, metadata={"description": "下一页的 after 游标；没有下一页时为 null"})


class StaffMessageOut(Schema):
    direction = f.String()
    body = f.String()
    on = f.Date()


class ContactOut(Schema):
    name = f.String(allow_none=True)
    phone = f.String(allow_none=True)
    note = f.String(allow_none=True)


class FeedbackDetail(FeedbackSummary):
    """One feedback. A handler gets the department view only (as in an assignment's ``feedback``)."""

    content = f.String()
    waiting_for_reporter = f.Boolean(metadata={"description": "正在等待反映人补充情况（仅办理人员视图）"})
    unit_level = f.String(allow_none=True, metadata={"description": "反映人所在单位层级（办理人员不可见）"})
    route_path = f.String(allow_none=True)
    merged_into_id = f.Integer(allow_none=True)
    reopen_count = f.Integer()
    rating = f.String(allow_none=True)
    rating_comment = f.String(allow_none=True)
    imposer_level = f.String(allow_none=True)
    attachments = f.List(f.String())
    assignments = f.List(f.Nested(AssignmentBrief))
    routing_suggestion = f.Dict(allow_none=True, metadata={"description": "职责清单给出的交办建议（仅组织部）"})
    messages = f.List(f.Nested(StaffMessageOut))
    contact = f.Nested(ContactOut, allow_none=True, metadata={"description": "反映人主动留下的联系方式（仅组织部）"})


class EventOut(Schema):
    id = f.Integer()
    action = f.String()
    actor_type = f.String()
    actor_id = f.Integer(allow_none=True)
    actor_role = f.String(allow_none=True)
    from_status = f.String(allow_none=True)
    to_status = f.String(allow_none=True)
    reason = f.String(allow_none=True)
    visible_to_reporter = f.Boolean()
    assignment_id = f.Integer(allow_none=True)
    data = f.Dict(allow_none=True)
    created_at = f.DateTime()


class RetagIn(Schema):
    tags = f.List(f.String(), required=True)
    note = f.String(validate=NOTE)


class ReasonIn(Schema):
    reason = _required_text("理由")


class MergeIn(Schema):
    target_id = f.Integer(required=True)
    note = f.String(validate=NOTE)


class QuestionIn(Schema):
    question = _required_text("问题", 1000)


class RouteIn(Schema):
    path = f.String(
        required=True,
        validate=validate.OneOf(
            ["direct", "escalate"],
            error="办理路径应为 direct（直接交办）或 escalate（转市直部门上报）；会商请用 /consultations",
        ),
    )
    primary = f.String(required=True, metadata={"description": "主办部门代码"})
    cooperating = f.List(f.String(), load_default=list, metadata={"description": "协办部门代码"})
    instructions = f.String(validate=NOTE)


class CloseIn(Schema):
    note = f.String(validate=NOTE)
    waive_reason = f.String(
        validate=validate.Length(min=1, max=500, error="免报理由应为 1–500 个字"),
        metadata={
            "description": "协办部门尚未反馈时必填：免报理由。这些协办交办单记为“免报”，并记录决定人、时间和理由"
        },
    )


class AssignmentSpec(Schema):
    feedback_id = f.Integer(required=True)
    primary = f.String(required=True)
    cooperating = f.List(f.String(), load_default=list)
    instructions = f.String(validate=NOTE)


class ConsultationIn(Schema):
    title = _required_text("会商名称", 128)
    feedback_ids = f.List(f.Integer(), required=True, validate=validate.Length(min=1, error="至少选择一条反映"))
    departments = f.List(f.String(), required=True)
    scheduled_on = f.Date(allow_none=True)


class OutcomeIn(Schema):
    held_on = f.Date(required=True)
    attendees = f.List(f.String(), required=True, validate=validate.Length(min=1, error="请填写参会人员"))
    outcome = _required_text("会商结果", 5000)
    assignments = f.List(f.Nested(AssignmentSpec), required=True)


class OutcomeCorrectionIn(Schema):
    held_on = f.Date(metadata={"description": "更正后的会商日期（不能晚于今天）"})
    attendees = f.List(f.String(), validate=validate.Length(min=1, error="请填写参会人员"))
    outcome = f.String(validate=validate.Length(min=1, max=5000, error="会商结果不能为空，且不超过 5000 个字"))
    reason = _required_text("更正理由", 500)

    @validates_schema
    def _something(self, data, **kwargs):
        if not {"held_on", "attendees", "outcome"} & set(data):
            raise ValidationError("请至少更正会商日期、参会人员或会商结果中的一项", "_schema")


class ConsultationOut(Schema):
    id = f.Integer()
    title = f.String()
    status = f.String()
    scheduled_on = f.Date(allow_none=True)
    held_on = f.Date(allow_none=True)
    attendees = f.List(f.String())
    outcome = f.String(allow_none=True)
    departments = f.List(f.Nested(CodeNameOut))
    feedback_ids = f.List(f.Integer())
