"""Staff login, logout and who-am-i."""

from __future__ import annotations

from flask import current_app, g, request

from feedback.api.staff import blp, current_staff
from feedback.api.staff.schemas_auth import LoginIn, LoginOut, MeOut
from feedback.errors import Unauthorized
from feedback.extensions import db, limiter
from feedback.services import staff_auth


def _login_limit_key() -> str:
    """Throttle guesses per account name, whoever sends them."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return "staff-login:" + (staff_auth.normalise_username(username)[:64] if isinstance(username, str) else "")


@blp.route("/auth/login", methods=["POST"], endpoint="login")
@limiter.limit(lambda: current_app.config.get("RATE_LIMIT_STAFF_LOGIN", "10 per minute"), key_func=_login_limit_key)
@blp.arguments(LoginIn)
@blp.response(200, LoginOut)
@blp.alt_response(401, description="用户名或密码错误（invalid_credentials）、账号已锁定（account_locked）或已停用")
def login(payload):
    """用户名和密码登录。连续 5 次密码错误锁定 30 分钟；空闲 30 分钟后令牌失效。"""
    try:
        issued = staff_auth.login(payload["username"], payload["password"])
    except Unauthorized:
        db.session.commit()  # keep the failure count and the lock
        raise
    db.session.commit()
    return issued


@blp.route("/auth/logout", methods=["POST"], endpoint="logout")
@blp.response(204)
def logout():
    """退出登录，当前令牌立即失效。"""
    staff_auth.logout(g.staff_token)
    db.session.commit()


@blp.route("/auth/me", methods=["GET"], endpoint="me")
@blp.response(200, MeOut)
def me():
    """当前登录人员的账号、角色及所属部门或观测点。"""
    staff = current_staff()
    return {"username": staff.username, "display_name": staff.display_name, "role": staff.role,
            "department": staff.department, "point": staff.point}
