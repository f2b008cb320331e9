"""flask-smorest Api wired to the project's one error shape."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Api

from feedback.errors import http_error_payload


class ErrorSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "机器可读的错误代码，如 validation_error"})
    message = ma.fields.String(metadata={"description": "中文说明"})
    errors = ma.fields.Dict(metadata={"description": "逐字段的错误说明"})
    request_id = ma.fields.String(metadata={"description": "请求编号，反馈问题时请提供"})


class FeedbackApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_error_payload(error)
