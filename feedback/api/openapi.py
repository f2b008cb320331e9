"""flask-smorest Api wired to the project's one error shape, and an OpenAPI document that tells a
client generator what every operation needs (which token) and may answer (401/403/413/429…).

What is true of a whole audience is added here, once, from the path: mini-program operations
need the cadre's token (except login) and are rate limited; staff operations need a staff token
(except login) and may be refused to the role. What only one view knows (the Idempotency-Key
header, the multipart upload) is declared on that view.
"""

from __future__ import annotations

import threading
from typing import Any

import marshmallow as ma
from apispec import APISpec, BasePlugin
from flask import Response, request
from flask_smorest import Api

from feedback.errors import http_error_payload

MP_PREFIX, STAFF_PREFIX = "/api/mp/v1/", "/api/staff/v1/"
PUBLIC = {"/api/mp/v1/session", "/api/staff/v1/auth/login"}
RATE_LIMITED_STAFF = {"/api/staff/v1/auth/login", "/api/staff/v1/auth/password"}
SCHEMES = {
    "mpToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "小程序登录令牌：POST /api/mp/v1/session 的 token，放在 Authorization: Bearer 头中",
    },
    "staffToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "工作人员登录令牌：POST /api/staff/v1/auth/login 的 token，空闲 30 分钟失效",
    },
}
ERROR_RESPONSES = {
    "400": ("InvalidJson", "请求体不是有效的 JSON，或超出限制（嵌套过深、数字过长）：invalid_json"),
    "401": ("Unauthorized", "缺少令牌、令牌无效或已过期（missing_token、invalid_token 等），请重新登录"),
    "403": ("Forbidden", "账号角色无权进行此操作（forbidden）"),
    "413": ("PayloadTooLarge", "请求体过大（payload_too_large）"),
    "415": ("UnsupportedMediaType", "请求体不是 JSON（unsupported_media_type），请用 Content-Type: application/json"),
    "429": ("RateLimited", "操作过于频繁（rate_limited），Retry-After 头给出需等待的秒数"),
}
RETRY_AFTER = {"description": "需要等待的秒数", "schema": {"type": "integer", "minimum": 0}}


class ErrorSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "机器可读的错误代码，如 validation_error"})
    message = ma.fields.String(required=True, metadata={"description": "中文说明"})
    errors = ma.fields.Dict(metadata={"description": "逐字段的错误说明（列表中的第几项用字符串形式的序号）"})
    request_id = ma.fields.String(required=True, metadata={"description": "请求编号，反馈问题时请提供"})


class AudiencePlugin(BasePlugin):
    """Adds security requirements and the shared error responses to each operation by its path."""

    def init_spec(self, spec: APISpec) -> None:
        for name, scheme in SCHEMES.items():
            spec.components.security_scheme(name, scheme)
        for status, (name, description) in ERROR_RESPONSES.items():
            response: dict[str, Any] = {
                "description": description,
                "content": {"application/json": {"schema": "Error"}},
            }
            if status == "429":
                response["headers"] = {"Retry-After": RETRY_AFTER}
            spec.components.response(name, response)

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        if not path or not operations:
            return
        mp, staff = path.startswith(MP_PREFIX), path.startswith(STAFF_PREFIX)
        if not (mp or staff):
            return
        for method, operation in operations.items():
            statuses: list[str] = []
            if path in PUBLIC:
                operation["security"] = []
            else:
                operation["security"] = [{"mpToken" if mp else "staffToken": []}]
                statuses += ["401"] if mp else ["401", "403"]
            if mp or path in RATE_LIMITED_STAFF:
                statuses.append("429")
            if method.lower() in ("post", "put", "patch"):
                statuses.append("413")
                body = operation.get("requestBody", {}).get("content", {})
                if "application/json" in body:
                    statuses += ["400", "415"]
            responses = operation.setdefault("responses", {})
            for status in statuses:
                if status not in responses and int(status) not in responses:
                    responses[status] = ERROR_RESPONSES[status][0]
            for status, response in responses.items():
                # alt_response(404, description=…) says why; the body is still the one error shape
                if str(status)[0] in "45" and isinstance(response, dict) and "content" not in response:
                    response["content"] = {"application/json": {"schema": "Error"}}
                if str(status) == "429" and isinstance(response, dict):
                    response.setdefault("headers", {"Retry-After": RETRY_AFTER})


# The reference page loads only what this server serves: ReDoc's own footer links an image on its
# CDN, which an intranet browser would try (and a public one would leak the visit to).
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)


class FeedbackApi(Api):
    """flask-smorest's Api; a blueprint's operations enter the document when it is first read.

    flask-smorest documents every view as its blueprint is registered: about half of create_app's
    work (copying each view's doc and resolving its schemas), paid at every server start and in
    every test, while the document is only read by /api/openapi.json and the reference page. Here
    the blueprint is served at once and documented on the first read of ``spec``, with the same
    calls in the same order (mp, then staff), so the document is the same.
    """

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, app=None, **kwargs: Any) -> None:
        self._spec: Any = None  # flask-smorest's ``spec``, set by its init_app
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._documenting = threading.RLock()
        self._in_progress = False
        spec_kwargs = kwargs.pop("spec_kwargs", None) or {}
        spec_kwargs.setdefault("extra_plugins", [AudiencePlugin()])
        super().__init__(app, spec_kwargs=spec_kwargs, **kwargs)

    @property  # type: ignore[override]
    def spec(self) -> APISpec:
        if self._undocumented:
            # Another thread waits until the document is whole; a read from inside the documenting
            # (flask-smorest's callbacks, same thread) gets the document as it stands.
            with self._documenting:
                if not self._in_progress:
                    self._in_progress = True
                    try:
                        while self._undocumented:
                            blp, name, parameters = self._undocumented[0]
                            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                            self._spec.tag({"name": name, "description": blp.description})
                            self._undocumented.pop(0)
                    finally:
                        self._in_progress = False
        return self._spec

    @spec.setter
    def spec(self, value: APISpec | None) -> None:
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """As flask-smorest's, but the blueprint's doc is added on the first read of ``spec``."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def handle_http_exception(self, error):
        return http_error_payload(error)


def docs_headers(response: Response) -> Response:
    """after_request: the reference page (the docs blueprint's "redoc" endpoint) gets DOCS_CSP."""
    if request.endpoint and request.endpoint.endswith(".openapi_redoc"):
        response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
