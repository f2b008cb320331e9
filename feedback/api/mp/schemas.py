"""Request and response schemas of the mini-program API."""

from __future__ import annotations

import re

from marshmallow import ValidationError, validate, validates, validates_schema

from feedback.api import fields as f
from feedback.api.fields import CodeNameOut, Schema
from feedback.labels import IMPOSER_LEVELS, KIND_LABELS, UNIT_LEVELS

# GB/T 2260 county code (6 digits), optionally extended to township (9) or village (12). Whether
# the province is one this deployment serves is checked against the reference data on submission
# (services.intake), so the sample data's made-up province 49 works as well as a real one.
REGION_CODE = re.compile(r"^(?!00)\d{6}(\d{3}(\d{3})?)?$", re.ASCII)
POINT_CODE = re.compile(r"^[A-Za-z0-9-]{1,16}$")


class SessionIn(Schema):
    code = f.String(
        required=True,
        validate=validate.Length(min=1, max=128, error="登录凭证格式不正确"),
        metadata={"description": "wx.login 得到的临时登录凭证"},
    )


class SessionOut(Schema):
    token = f.String(metadata={"description": "之后请求放在 Authorization: Bearer 头中"})
    expires_in = f.Integer(metadata={"description": "有效期（秒）"})


class ContactIn(Schema):
    name = f.String(validate=validate.Length(max=32, error="姓名不超过 32 个字"))
    phone = f.String(validate=validate.Regexp(r"^[0-9+\- ]{5,20}$", error="电话号码格式不正确"))
    note = f.String(validate=validate.Length(max=200, error="备注不超过 200 个字"))

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not any((data.get(k) or "").strip() for k in ("name", "phone", "note")):
            raise ValidationError("联系方式不能为空；如不愿留下联系方式，请不要填写此项", "_schema")


class FeedbackIn(Schema):
    kind = f.String(
        required=True,
        validate=validate.OneOf(
            list(KIND_LABELS), error="类型应为 problem（问题线索）、suggestion（意见建议）或 practice（经验做法）"
        ),
    )
    content = f.String(required=True)
    anonymous = f.Boolean(load_default=True)
    region_code = f.String(allow_none=True, metadata={"description": "行政区划代码，6 位（县级）或 9/12 位"})
    unit_level = f.String(
        allow_none=True,
        validate=validate.OneOf(
            list(UNIT_LEVELS), error="单位层级应为 " + "、".join(f"{k}（{v}）" for k, v in UNIT_LEVELS.items())
        ),
    )
    point_code = f.String(allow_none=True, metadata={"description": "观测点编号（观测点联络员填写）"})
    imposer_level = f.String(
        allow_none=True,
        validate=validate.OneOf(
            list(IMPOSER_LEVELS),
            error="负担来源层级应为 " + "、".join(f"{k}（{v}）" for k, v in IMPOSER_LEVELS.items()),
        ),
        metadata={"description": "造成负担的部门属于哪一级（知道时填写）"},
    )
    attachments = f.List(f.String(validate=validate.Length(equal=32, error="附件编号无效")), load_default=list)
    contact = f.Nested(ContactIn, allow_none=True)

    @validates("content")
    def _content(self, value: str, **kwargs) -> None:
        from flask import current_app

        text = value.strip()
        low, high = current_app.config["FEEDBACK_MIN_CHARS"], current_app.config["FEEDBACK_MAX_CHARS"]
        if not text:
            raise ValidationError("反映内容不能为空")
        if len(text) < low:
            raise ValidationError(f"反映内容太短，请至少写 {low} 个字，说清楚是什么事")
        if len(text) > high:
            raise ValidationError(f"反映内容不能超过 {high} 个字（当前 {len(text)} 个字）")

    @validates("region_code")
    def _region(self, value: str | None, **kwargs) -> None:
        if value is not None and not REGION_CODE.match(value):
            raise ValidationError("行政区划代码格式不正确，应为 6、9 或 12 位数字，如 490102 或 490102001")

    @validates("point_code")
    def _point(self, value: str | None, **kwargs) -> None:
        if value is not None and not POINT_CODE.match(value):
            raise ValidationError("观测点编号格式不正确")

    @validates("attachments")
    def _attachments(self, value: list[str], **kwargs) -> None:
        from flask import current_app

        limit = current_app.config["ATTACHMENTS_PER_FEEDBACK"]
        if len(value) > limit:
            raise ValidationError(f"最多上传 {limit} 张图片")
        if len(set(value)) != len(value):
            raise ValidationError("附件重复")

    @validates_schema
    def _contact_needs_real_name(self, data, **kwargs):
        if data.get("contact") and data.get("anonymous", True):
            raise ValidationError("匿名反映不能留联系方式；如需组织部联系您，请将 anonymous 设为 false", "contact")


class FeedbackCreatedOut(Schema):
    receipt = f.String(metadata={"description": "查询码：唯一凭证，只显示这一次，请截图或抄下"})
    status = f.String()
    status_label = f.String()
    kind = f.String()
    tags = f.List(f.Nested(CodeNameOut))
    attachments = f.Integer(metadata={"description": "已附图片数"})
    submitted_on = f.String(metadata={"description": "提交日期 YYYY-MM-DD"})
    notice = f.String()


class TrackIn(Schema):
    receipt = f.String(required=True, validate=validate.Length(min=1, max=64, error="查询码格式不正确"))


class TimelineItemOut(Schema):
    on = f.Date(metadata={"description": "日期（只到天）"})
    action = f.String()
    label = f.String()
    note = f.String(allow_none=True)
    due_on = f.Date(allow_none=True, metadata={"description": "这一步定下的办理期限（该日内办结）"})
    deadline_note = f.String(allow_none=True, metadata={"description": "期限为暂定时的说明"})


class DeadlineOut(Schema):
    due_on = f.Date(metadata={"description": "主办部门当前的办理期限"})
    provisional = f.Boolean(metadata={"description": "期限暂按法定节假日计算，公布安排后自动校正"})
    note = f.String(allow_none=True)


class MessageOut(Schema):
    direction = f.String(metadata={"description": "to_reporter 组织部提问 / from_reporter 您的答复"})
    body = f.String()
    on = f.Date()


class StatusOut(Schema):
    status = f.String()
    status_label = f.String()


class TrackOut(Schema):
    status = f.String()
    status_label = f.String()
    kind = f.String()
    tags = f.List(f.Nested(CodeNameOut))
    timeline = f.List(f.Nested(TimelineItemOut))
    messages = f.List(f.Nested(MessageOut))
    can_answer = f.Boolean(metadata={"description": "组织部在等待您补充情况"})
    can_rate = f.Boolean(metadata={"description": "已办结，可以评价"})
    merged_into = f.Nested(StatusOut, metadata={"description": "已合并时，合并后那条反映的办理状态"})
    deadline = f.Nested(DeadlineOut, allow_none=True, metadata={"description": "正在办理时主办部门的办理期限"})


class UploadOut(Schema):
    id = f.String()
    content_type = f.String()
    width = f.Integer()
    height = f.Integer()
