"""marshmallow fields and base schema that speak Chinese to the user."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

_BASE = {
    "required": "此项为必填项",
    "null": "此项不能为空",
    "validator_failed": "取值无效",
}


def _zh(cls: type[fields.Field], invalid: str) -> type[fields.Field]:
    messages = {**_BASE, "invalid": invalid}
    if cls is fields.String:
        messages["invalid_utf8"] = "文字编码无效"
    if cls is fields.Nested:
        messages["type"] = "格式不正确，应为对象"
    return type(cls.__name__, (cls,), {"default_error_messages": messages})


String = _zh(fields.String, "应为文字")
Integer = _zh(fields.Integer, "应为整数")
Float = _zh(fields.Float, "应为数字")
Boolean = _zh(fields.Boolean, "应为 true 或 false")
List = _zh(fields.List, "应为列表")
Dict = _zh(fields.Dict, "应为对象")
Nested = _zh(fields.Nested, "格式不正确，应为对象")
DateTime = _zh(fields.DateTime, "应为日期时间，如 2026-01-31T08:00:00+08:00")
Date = _zh(fields.Date, "应为日期，如 2026-01-31")


class Schema(ma.Schema):
    """Base schema: unknown fields are rejected with a Chinese message."""

    error_messages = {"type": "请求体应为 JSON 对象", "unknown": "不支持的字段"}

    class Meta:
        unknown = ma.RAISE


class PageOut(Schema):
    """Pagination fields every list answers with; subclasses add ``items``."""

    total = Integer(metadata={"description": "符合条件的总条数"})
    page = Integer()
    per_page = Integer()


class CodeNameOut(Schema):
    """A reference to a department, observation point or tag: its stable code and Chinese name."""

    code = String()
    name = String()
