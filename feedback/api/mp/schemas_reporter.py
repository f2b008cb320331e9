"""Request and response schemas of what a reporter does with the receipt: answer, rate."""

from __future__ import annotations

from marshmallow import ValidationError, validate, validates, validates_schema

from feedback.api import fields as f
from feedback.api.fields import Schema
from feedback.services.intake.reporter import RATING_LABELS

RECEIPT = {
    "required": True,
    "validate": validate.Length(min=1, max=64, error="查询码格式不正确"),
    "metadata": {"description": "查询码（放在请求体中，不出现在网址里）"},
}


class AnswerIn(Schema):
    receipt = f.String(**RECEIPT)
    body = f.String(required=True, metadata={"description": "对组织部提问的答复"})

    @validates("body")
    def _body(self, value: str, **kwargs) -> None:
        from flask import current_app

        text = value.strip()
        high = current_app.config["FEEDBACK_MAX_CHARS"]
        if not text:
            raise ValidationError("答复内容不能为空")
        if len(text) > high:
            raise ValidationError(f"答复内容不能超过 {high} 个字（当前 {len(text)} 个字）")


class AnswerOut(Schema):
    status = f.String()
    status_label = f.String()
    answered_on = f.Date(metadata={"description": "答复日期（只到天）"})


class RatingIn(Schema):
    receipt = f.String(**RECEIPT)
    rating = f.String(
        required=True,
        validate=validate.OneOf(
            list(RATING_LABELS), error="评价应为 " + "、".join(f"{k}（{v}）" for k, v in RATING_LABELS.items())
        ),
        metadata={"description": "satisfied 满意 / basically_satisfied 基本满意 / unsatisfied 不满意"},
    )
    comment = f.String(
        allow_none=True,
        validate=validate.Length(max=500, error="评价说明不超过 500 个字"),
        metadata={"description": "评价说明；不满意时必填"},
    )

    @validates_schema
    def _reason_when_unsatisfied(self, data, **kwargs) -> None:
        if data.get("rating") == "unsatisfied" and not (data.get("comment") or "").strip():
            raise ValidationError("请说明不满意的原因", "comment")


class RatingOut(Schema):
    reopened = f.Boolean(metadata={"description": "不满意是否已退回组织部重新办理（只会重新办理一次）"})
    status = f.String()
    status_label = f.String()
