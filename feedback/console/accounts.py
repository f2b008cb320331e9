"""账号管理 (admin): staff accounts — list, create, disable/enable, unlock, reset password.

Every change goes through ``services.admin.staff_auth`` (the same rules as ``flask users``). A
password the system generates is shown once, in the page that answers the POST: it is never put
in a redirect, a one-shot message (the signed cookie) or a log line.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from flask import g, render_template, request, url_for

from feedback.console import bp, pages
from feedback.errors import Conflict, Forbidden, ValidationFailed
from feedback.extensions import db
from feedback.services.admin import reference_views, staff_auth
from feedback.services.admin.staff_auth import ROLE_LABELS
from feedback.timeutil import CHINA
from feedback.workflow import STAFF_ROLES

ACTIVE_FILTERS = {"yes": ("正常", True), "no": ("已停用", False)}
FORM_FIELDS = ("username", "display_name", "role", "department", "point", "password_mode")


def _when(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _admin_only() -> None:
    if g.staff.role != "admin":
        raise Forbidden("只有系统管理员可以管理账号")


def _back() -> str:
    """Back to the list as it was filtered (the form carries the list's query string)."""
    query = urlencode(parse_qsl(request.form.get("back", "")))
    return url_for("console.accounts") + (f"?{query}" if query else "")


@bp.route("/accounts")
def accounts():
    _admin_only()
    role = pages.choice("role", STAFF_ROLES)
    active_key = request.args.get("active", "")
    active = ACTIVE_FILTERS[active_key][1] if active_key in ACTIVE_FILTERS else None
    paging = pages.paging()
    users, total = staff_auth.list_users_page(role or None, active, paging.page, paging.per_page)
    return render_template(
        "console/accounts.html",
        users=users,
        total=total,
        paging=paging,
        role=role,
        active_key=active_key if active is not None else "",
        roles=ROLE_LABELS,
        active_filters=ACTIVE_FILTERS,
        query=request.query_string.decode("ascii", "ignore"),
        when=_when,
    )


def _form_page(values: dict, errors: dict, status: int = 200):
    return render_template(
        "console/account_new.html",
        values=values,
        errors=errors,
        roles=ROLE_LABELS,
        departments=reference_views.active_departments(),
        points=reference_views.active_points(),
    ), status


def _check_typed(password: str, again: str, values: dict) -> None:
    if not password:
        raise ValidationFailed(errors={"password": ["请输入初始密码，或选择“由系统生成”"]})
    staff_auth.check_password_policy(password, values["username"], values["display_name"])
    if password != again:
        raise ValidationFailed(errors={"password_again": ["两次输入的密码不一致"]})


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new():
    _admin_only()
    if request.method == "GET":
        return _form_page({"role": "handler", "password_mode": "generate"}, {})
    values = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    generated = values["password_mode"] != "typed"
    password = request.form.get("password", "")
    try:
        staff_auth.check_new_user(
            values["username"], values["role"], values["department"], values["point"], values["display_name"]
        )
        if generated:
            password = staff_auth.generate_password()
        else:
            _check_typed(password, request.form.get("password_again", ""), values)
        user = staff_auth.create_user(
            values["username"],
            password,
            values["role"],
            department_code=values["department"] or None,
            point_code=values["point"] or None,
            display_name=values["display_name"],
        )
    except ValidationFailed as error:
        db.session.rollback()
        return _form_page(values, error.errors or {"username": [error.message]}, 422)
    except Conflict as error:  # the username is taken
        db.session.rollback()
        return _form_page(values, {"username": [error.message]}, 409)
    db.session.commit()
    return render_template(
        "console/account_password.html",
        user=user,
        role_label=ROLE_LABELS[user.role],
        password=password if generated else None,
        created=True,
    )


@bp.route("/accounts/<int:user_id>/disable", methods=["POST"])
def account_disable(user_id: int):
    _admin_only()
    user = staff_auth.get_user_by_id(user_id)
    return pages.act(
        lambda: staff_auth.disable_user(user.username, by=g.staff),
        f"已停用账号 {user.username}，其登录已全部失效",
        _back(),
    )


@bp.route("/accounts/<int:user_id>/enable", methods=["POST"])
def account_enable(user_id: int):
    _admin_only()
    user = staff_auth.get_user_by_id(user_id)
    return pages.act(lambda: staff_auth.enable_user(user.username), f"已启用账号 {user.username}", _back())


@bp.route("/accounts/<int:user_id>/unlock", methods=["POST"])
def account_unlock(user_id: int):
    _admin_only()
    user = staff_auth.get_user_by_id(user_id)
    return pages.act(
        lambda: staff_auth.unlock_user(user.username),
        f"已解除账号 {user.username} 的登录锁定，可以重新登录（密码不变）",
        _back(),
    )


@bp.route("/accounts/<int:user_id>/reset-password", methods=["POST"])
def account_reset_password(user_id: int):
    _admin_only()
    user = staff_auth.get_user_by_id(user_id)
    password = staff_auth.generate_password()
    staff_auth.reset_password(user.username, password)
    db.session.commit()
    return render_template(
        "console/account_password.html",
        user=user,
        role_label=ROLE_LABELS[user.role],
        password=password,
        created=False,
    )
