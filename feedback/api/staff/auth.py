"""Staff login, logout, who-am-i and changing one's own password."""

from __future__ import annotations

from flask import current_app, g

from feedback.api.staff import blp, current_staff
from feedback.api.staff.schemas_auth import LoginIn, LoginOut, MeOut, PasswordChangeIn
from feedback.extensions import db, limiter
from feedback.rate_limits import client_key
from feedback.services.admin import staff_auth


@blp.route("/auth/login", methods=["POST"], endpoint="login")
# Attempts per client address: a stranger's guesses at one username never throttle its owner.
@limiter.limit(lambda: current_app.config["RATE_LIMIT_STAFF_LOGIN"], key_func=client_key)
@blp.arguments(LoginIn)
@blp.response(200, LoginOut)
@blp.alt_response(401, description="密码错误或无此用户（invalid_credentials）、连续失败暂停（account_locked）、已停用")
@blp.alt_response(429, description="本设备或该用户名近期登录失败过多（rate_limited）")
def login(payload):
    """用户名和密码登录。同一设备对同一用户名连续 5 次失败后暂停 30 分钟；令牌空闲 30 分钟或登录满 12 小时失效。"""
    issued = staff_auth.login(payload["username"], payload["password"])
    db.session.commit()
    return issued


@blp.route("/auth/password", methods=["POST"], endpoint="change_password")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_STAFF_LOGIN"], key_func=client_key)
@blp.arguments(PasswordChangeIn)
@blp.response(204)
@blp.alt_response(422, description="当前密码不正确，或新密码不符合要求（validation_error）")
def change_password(payload):
    """修改自己的密码：需输入当前密码；成功后本次登录保留，其他已登录的设备全部退出。"""
    staff_auth.change_own_password(
        current_staff(), payload["current_password"], payload["new_password"], keep_token=g.staff_token
    )
    db.session.commit()


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
    return {
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role,
        "department": staff.department,
        "point": staff.point,
    }
