"""flask-smorest Api wired to the project's one error shape."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, request
from flask_smorest import Api

from feedback.errors import http_error_payload


class ErrorSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "机器可读的错误代码，如 validation_error"})
    message = ma.fields.String(metadata={"description": "中文说明"})
    errors = ma.fields.Dict(metadata={"description": "逐字段的错误说明"})
    request_id = ma.fields.String(metadata={"description": "请求编号，反馈问题时请提供"})


# The reference page loads only what this server serves: ReDoc's own footer links an image on its
# CDN, which an intranet browser would try (and a public one would leak the visit to).
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'")


class FeedbackApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_error_payload(error)



def docs_headers(response: Response) -> Response:
    """after_request: the reference page (the docs blueprint's "redoc" endpoint) gets DOCS_CSP."""
    if request.endpoint and request.endpoint.endswith(".openapi_redoc"):
        response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
