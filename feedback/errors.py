"""Domain errors and the one JSON error shape every endpoint answers with.

Shape: ``{"code", "message", "errors"?, "request_id"}``. Exception text is never
sent to a client, nor logged: unexpected errors are logged with the request id, the exception
types and where they were raised (``feedback.failures``), because SQLAlchemy's text carries the
statement's parameters.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, g, has_request_context, jsonify
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from feedback.failures import log_failure

log = logging.getLogger("feedback.errors")


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors
        self.headers = headers or {}
        if code:
            self.code = code


class ValidationFailed(AppError):
    status, code, message = 422, "validation_error", "提交的内容有误，请按提示修改"


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "登录已失效，请重新登录"


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "没有权限进行此操作"


class NotFound(AppError):
    status, code, message = 404, "not_found", "未找到相应内容"


class Conflict(AppError):
    status, code, message = 409, "conflict", "当前状态不允许此操作"


class InvalidJson(AppError):
    status, code, message = 400, "invalid_json", "请求体不是有效的 JSON，请检查格式"


class UnsupportedMediaType(AppError):
    status, code, message = 415, "unsupported_media_type", "请以 JSON 格式提交（请求头 Content-Type: application/json）"


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "文件过大"


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "操作过于频繁，请稍后再试"


class UpstreamUnavailable(AppError):
    status, code, message = 503, "upstream_unavailable", "服务暂时繁忙，请稍后重试"


# Messages for HTTP errors raised by Flask/Werkzeug themselves.
HTTP_MESSAGES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限进行此操作"),
    404: ("not_found", "未找到相应内容"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "当前状态不允许此操作"),
    413: ("payload_too_large", "上传内容过大"),
    414: ("uri_too_long", "网址过长"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "提交的内容有误，请按提示修改"),
    429: ("rate_limited", "操作过于频繁，请稍后再试"),
    431: ("header_too_large", "请求头过大"),
    500: ("internal_error", "服务器内部错误，请稍后重试"),
    503: ("unavailable", "服务暂时不可用，请稍后重试"),
}


def _string_keys(value: Any) -> Any:
    """marshmallow keys list errors by index (int) beside field names (str); JSON sorting needs one type."""
    if isinstance(value, dict):
        return {str(key): _string_keys(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_string_keys(item) for item in value]
    return value


def error_body(code: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = _string_keys(errors)
    body["request_id"] = _request_id()
    return body


def _request_id() -> str | None:
    """Every error names a request id, even one raised before the request log assigned it."""
    if not has_request_context():
        return None
    if not g.get("request_id"):
        g.request_id = uuid.uuid4().hex
    return g.request_id


def _flatten_webargs(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests errors by location ({"json": {...}}); clients want fields."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def http_error_payload(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    status = error.code or 500
    code, message = HTTP_MESSAGES.get(status, ("http_error", "请求无法完成"))
    data = getattr(error, "data", None) or {}
    errors = None
    if "messages" in data:
        errors = _flatten_webargs(data["messages"])
        if status == 422 and "_schema" in errors and len(errors) == 1:
            errors = {"body": errors["_schema"]}
    if data.get("message"):
        message = data["message"]
    headers = dict(data.get("headers") or {})
    allow = dict(error.get_headers()).get("Allow")  # a 405 must say which methods are allowed
    if allow:
        headers["Allow"] = allow
    return error_body(code, message, errors), status, headers


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(error: AppError):
        response = jsonify(error_body(error.code, error.message, error.errors))
        response.status_code = error.status
        response.headers.update(error.headers)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        body, status, headers = http_error_payload(error)
        response = jsonify(body)
        response.status_code = status
        response.headers.update(headers)
        return response

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError):
        """Two requests raced on a unique row (same month generated twice, same day saved twice…)."""
        from feedback.extensions import db

        db.session.rollback()
        log.warning("integrity conflict request_id=%s: %s", getattr(g, "request_id", None), type(error.orig).__name__)
        response = jsonify(error_body("concurrent_update", "数据刚被其他操作修改，请刷新后重试"))
        response.status_code = 409
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log_failure(log, "unhandled error request_id=%s", error, getattr(g, "request_id", None))
        code, message = HTTP_MESSAGES[500]
        response = jsonify(error_body(code, message))
        response.status_code = 500
        return response
