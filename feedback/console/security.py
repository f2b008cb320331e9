"""Console sessions, CSRF and response headers.

The cookie holds the staff session token (the same kind /api/staff/v1 takes as a Bearer token).
Outside development it is named with the ``__Host-`` prefix and marked Secure; always HttpOnly and
SameSite=Lax. CSRF: a form field (or the X-CSRF-Token header htmx sends) must equal an HMAC of the
session token under a console-only key, so a page on another site cannot post as the user.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, render_template, request, url_for

from feedback.calendar import PROVISIONAL_NOTE
from feedback.console import bp
from feedback.errors import AppError, Unauthorized
from feedback.extensions import db
from feedback.services.admin.staff_auth import authenticate, slide_left_uncommitted
from feedback.services.keys import purpose_key

PUBLIC = {"console.login", "console.static_page_not_found"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _cookie() -> tuple[str, bool]:
    """(name, secure): __Host- cookies must be Secure, and only production is served over HTTPS."""
    if current_app.config["FEEDBACK_ENV"] == "production":
        return "__Host-tjf_console", True
    return "tjf_console", False


def set_session_cookie(response: Response, token: str) -> None:
    name, secure = _cookie()
    response.set_cookie(name, token, httponly=True, samesite="Lax", secure=secure, path="/")


def clear_session_cookie(response: Response) -> None:
    name, secure = _cookie()
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")


def session_token() -> str | None:
    return request.cookies.get(_cookie()[0])


def csrf_token(token: str | None = None) -> str:
    token = token or g.get("console_token") or ""
    return hmac.new(purpose_key("console-csrf"), token.encode(), hashlib.sha256).hexdigest()


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    return bool(g.get("console_token")) and hmac.compare_digest(sent, csrf_token())


def safe_next(target: str | None) -> str:
    """Only a path on this console: never an open redirect to another site."""
    if target and target.startswith("/console/") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("console.home")


@bp.before_request
def require_console_login():
    if request.endpoint in PUBLIC:
        return None
    token = session_token()
    try:
        if not token:
            raise Unauthorized("请先登录", code="missing_token")
        g.staff = authenticate(token)
        g.console_token = token  # a slid idle deadline is committed by the page or by commit_idle_slide
    except Unauthorized as exc:
        response = redirect(url_for("console.login", next=request.full_path.rstrip("?"), reason=exc.code))
        clear_session_cookie(response)
        return response
    if request.method not in ("GET", "HEAD") and not _csrf_ok():
        return render_template(
            "console/error.html", title="页面已过期", message="表单已过期或来源不明，请返回上一页刷新后重试。"
        ), 400
    return None


@bp.after_request
def commit_idle_slide(response: Response) -> Response:
    """One commit a request: a page that only read commits the slide here; a failed one leaves it."""
    if slide_left_uncommitted() and response.status_code < 400:
        db.session.commit()
    return response


@bp.after_request
def page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(AppError)
def app_error(error: AppError):
    return render_template("console/error.html", title="无法完成操作", message=error.message), error.status


@bp.route("/<path:rest>")
def static_page_not_found(rest: str):
    return render_template("console/error.html", title="页面不存在", message="您访问的页面不存在。"), 404


@bp.app_context_processor
def console_globals() -> dict:
    from feedback.console.nav import items_for, page_url

    return {"csrf_token": csrf_token, "nav_items": items_for, "page_url": page_url}


# Macros imported without context ({% import "console/_macros.html" as ui %}) see only the
# environment's globals, so ui.csrf(), ui.link() and ui.due() need these there as well.
bp.add_app_template_global(csrf_token, "csrf_token")
bp.add_app_template_global(PROVISIONAL_NOTE, "provisional_note")


@bp.app_template_global("page_url")
def page_url_global(endpoint: str, **values: object) -> str | None:
    from feedback.console.nav import page_url

    return page_url(endpoint, **values)
