"""Request size limits the app enforces itself, so the answer has our JSON error shape, and the
rule that ``Retry-After`` appears only where the app means "wait" (429, 503, an account lockout).

gunicorn.conf.py lets through requests somewhat larger than these limits; what gunicorn itself
refuses (and what a proxy refuses first) is described in the README's deployment section.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from feedback.errors import AppError

MAX_URL_CHARS = 4096  # path and query string
MAX_HEADER_CHARS = 8192  # one header line, name and value
MAX_HEADERS = 100
WAIT_STATUSES = frozenset({429, 503})


class UriTooLong(AppError):
    status, code, message = 414, "uri_too_long", f"网址过长（最多 {MAX_URL_CHARS} 个字符），请把内容放在请求体中"


class HeadersTooLarge(AppError):
    status, code, message = 431, "header_too_large", "请求头过大或过多，请删除不需要的请求头（如过大的 Cookie）"


def check_request_size() -> None:
    raw_uri = request.environ.get("RAW_URI") or request.full_path
    if len(raw_uri) > MAX_URL_CHARS:
        raise UriTooLong()
    headers = list(request.headers.items())
    if len(headers) > MAX_HEADERS or any(len(k) + len(v) + 2 > MAX_HEADER_CHARS for k, v in headers):
        raise HeadersTooLarge()


def _note_own_retry_after(response: Response) -> Response:
    """Runs before the limiter's header injection: what the view itself said (e.g. a lockout)."""
    g.own_retry_after = response.headers.get("Retry-After")
    return response


def drop_stray_retry_after(response: Response) -> Response:
    """Flask-Limiter adds ``Retry-After`` to every response of a limited view; only 429/503 mean
    "wait", so on any other status keep only a value the view set on purpose."""
    if response.status_code not in WAIT_STATUSES:
        own = g.get("own_retry_after")
        if own:
            response.headers["Retry-After"] = own
        else:
            response.headers.pop("Retry-After", None)
    return response


def init_http_limits(app: Flask) -> None:
    """Call after ``limiter.init_app``. after_request functions run last-registered first."""
    app.before_request(check_request_size)
    app.after_request(_note_own_retry_after)  # registered after the limiter's, so it runs before it
    app.after_request_funcs.setdefault(None, []).insert(0, drop_stray_retry_after)  # runs last of all
