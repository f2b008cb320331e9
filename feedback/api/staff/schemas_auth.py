"""Request and response schemas of staff login, logout and the current user."""

from __future__ import annotations

from marshmallow import validate

from feedback.api import fields as f
from feedback.api.fields import CodeNameOut, Schema


class LoginIn(Schema):
    username = f.String(
        required=True,
        validate=validate.Length(min=1, max=64, error="用户名长度应为 1–64 个字符"),
        metadata={"description": "用户名（不区分大小写）"},
    )
    password = f.String(
        required=True,
        validate=validate.Length(min=1, max=256, error="密码长度应为 1–256 个字符"),
        metadata={"description": "密码"},
    )


PASSWORD_LENGTH = validate.Length(min=1, max=256, error="密码长度应为 1–256 个字符")


class PasswordChangeIn(Schema):
    current_password = f.String(required=True, validate=PASSWORD_LENGTH, metadata={"description": "当前密码"})
    new_password = f.String(
        required=True,
        validate=PASSWORD_LENGTH,
        metadata={"description": "新密码：至少 8 位、三类字符，且不能是常见或易猜的密码"},
    )


class LoginOut(Schema):
    token = f.String(metadata={"description": "之后请求放在 Authorization: Bearer 头中"})
    expires_in = f.Integer(metadata={"description": "空闲多少秒后失效（每次请求会顺延）"})
    role = f.String(metadata={"description": "角色：admin、triage、handler、liaison、viewer"})


class MeOut(Schema):
    username = f.String()
    display_name = f.String()
    role = f.String(metadata={"description": "角色：admin、triage、handler、liaison、viewer"})
    department = f.Nested(CodeNameOut, allow_none=True, metadata={"description": "办理人员所属部门，其他角色为 null"})
    point = f.Nested(CodeNameOut, allow_none=True, metadata={"description": "联络员所属观测点，其他角色为 null"})
