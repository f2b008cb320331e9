"""marshmallow fields and base schema that speak Chinese to the user."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import fields

from feedback.timeutil import parse_iso_day

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


# NUL is refused by PostgreSQL text columns; a lone surrogate cannot be encoded as UTF-8 by any
# database driver or by the JSON encoder. Neither belongs in anything a person typed.
UNSAFE_CHARS = re.compile("[\x00\ud800-\udfff]")
INVALID_CHARS = "含有无效字符（空字符或残缺的 Unicode 编码），请删除后重试"
# Integers are stored at most as BIGINT: anything wider would reach the database as an overflow.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def has_unsafe_chars(text: str) -> bool:
    return UNSAFE_CHARS.search(text) is not None


class String(_zh(fields.String, "应为文字")):
    """Text without NUL or lone surrogates, checked before any length or format validator runs."""

    default_error_messages = {"unsafe": INVALID_CHARS}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_unsafe_chars(text):
            raise self.make_error("unsafe")
        return text


class Integer(_zh(fields.Integer, "应为整数")):
    """An integer that fits a BIGINT column; narrower fields add their own ``Range``."""

    default_error_messages = {"out_of_range": "数值超出允许范围", "too_large": "数值超出允许范围"}

    def _validated(self, value: Any) -> int:
        number = super()._validated(value)
        if not INT_MIN <= number <= INT_MAX:
            raise self.make_error("out_of_range")
        return number


class Float(_zh(fields.Float, "应为数字")):
    default_error_messages = {"special": "应为有限的数字", "too_large": "数值超出允许范围"}


Boolean = _zh(fields.Boolean, "应为 true 或 false")
List = _zh(fields.List, "应为列表")
Dict = _zh(fields.Dict, "应为对象")
Nested = _zh(fields.Nested, "格式不正确，应为对象")
DateTime = _zh(fields.DateTime, "应为日期时间，如 2026-01-31T08:00:00+08:00")


class Date(_zh(fields.Date, "应为日期，如 2026-01-31")):
    """``YYYY-MM-DD`` only: ``date.fromisoformat`` alone also takes ``20261130`` and ``2026-W48-1``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any):
        try:
            return parse_iso_day(value)
        except ValueError:
            raise self.make_error("invalid") from None


class Schema(ma.Schema):
    """Base schema: unknown fields are rejected with a Chinese message."""

    error_messages = {"type": "请求体应为 JSON 对象", "unknown": "不支持的字段"}

    class Meta:
        unknown = ma.RAISE


MAX_PAGE = 100_000


class PageIn(Schema):
    """Paging arguments of every list: bounded, so an OFFSET never overflows the database."""

    page = Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE, error=f"页码应为 1–{MAX_PAGE}"))
    per_page = Integer(load_default=20, validate=ma.validate.Range(min=1, max=100, error="每页条数应为 1–100"))


class PageOut(Schema):
    """Pagination fields every list answers with; subclasses add ``items``."""

    total = Integer(metadata={"description": "符合条件的总条数"})
    page = Integer()
    per_page = Integer()


class CodeNameOut(Schema):
    """A reference to a department, observation point or tag: its stable code and Chinese name."""

    code = String()
    name = String()
