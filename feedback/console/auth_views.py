"""Log in and out, change one's own password, keep an idle session alive."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from feedback.console import bp
from feedback.console.security import clear_session_cookie, safe_next, set_session_cookie
from feedback.errors import AppError, ValidationFailed
from feedback.extensions import db
from feedback.services.admin import staff_auth

REASONS = {
    "token_expired": "长时间未操作，已自动退出，请重新登录。",
    "session_too_old": "登录时间已满，为安全起见请重新登录。",
    "invalid_token": "登录已失效，请重新登录。",
    "logged_out": "您已退出登录。",
    "password_changed": "密码已修改。",
}


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("console/login.html", next=target, notice=REASONS.get(request.args.get("reason", "")))
    username = request.form.get("username", "").strip()
    try:
        issued = staff_auth.login(username, request.form.get("password", ""))
    except AppError as exc:
        db.session.commit()  # the failure counts are kept
        return render_template("console/login.html", next=target, username=username, error=exc.message), exc.status
    db.session.commit()
    response = redirect(target)
    set_session_cookie(response, issued.token)
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    staff_auth.logout(g.console_token)
    db.session.commit()
    response = redirect(url_for("console.login", reason="logged_out"))
    clear_session_cookie(response)
    return response


@bp.route("/password", methods=["GET", "POST"])
def password():
    if request.method == "GET":
        return render_template("console/password.html", errors={})
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    try:
        if new != again:
            raise ValidationFailed(errors={"new_password_again": ["两次输入的新密码不一致"]})
        staff_auth.change_own_password(
            g.staff, request.form.get("current_password", ""), new, keep_token=g.console_token
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("console/password.html", errors=exc.errors), 422
    db.session.commit()
    return render_template("console/password.html", errors={}, done=True)


@bp.route("/keepalive", methods=["POST"])
def keepalive():
    """The idle warning's 继续使用 button: authenticating already slid the idle deadline."""
    return "", 204
