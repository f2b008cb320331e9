"""``flask users``: staff console accounts, managed by the operator from the shell.

One command, one commit. Domain errors roll back and print their Chinese message
on stderr with exit status 1, so scripts can tell success from failure.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask.cli import with_appcontext

from feedback.errors import AppError
from feedback.extensions import db
from feedback.models import StaffUser
from feedback.services.admin import staff_auth
from feedback.timeutil import CHINA
from feedback.workflow import STAFF_ROLES

PASSWORD_HELP = "新密码；省略则交互输入两次（不建议写在命令行里，会留在 shell 历史中）。"


def _one_commit(command: Callable[..., Any]) -> Callable[..., Any]:
    """Commit once on success; on a domain error roll back and exit 1 with the Chinese message."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
        except AppError as exc:
            db.session.rollback()
            details = [m for messages in (exc.errors or {}).values() for m in messages if m != exc.message]
            click.echo("；".join([exc.message, *details]), err=True)
            raise click.exceptions.Exit(1) from None
        db.session.commit()
        return result

    return wrapper


def _password(given: str | None) -> str:
    if given is not None:
        return given
    first = click.prompt("密码", hide_input=True)
    if click.prompt("再次输入密码", hide_input=True) != first:
        click.echo("两次输入的密码不一致，未做任何修改", err=True)
        raise click.exceptions.Exit(1)
    return first


@click.group("users")
def users_group() -> None:
    """管理工作人员控制台账号（角色：admin、triage、handler、liaison、viewer）。"""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, help=f"角色：{'、'.join(STAFF_ROLES)}。")
@click.option("--department", "department_code", help="部门代码（handler 必填，其他角色不可填）。")
@click.option("--point", "point_code", help="观测点代码（liaison 必填，其他角色不可填）。")
@click.option("--display-name", default="", help="显示名称，如“市委组织部 张科长”。")
@click.option("--password", help=PASSWORD_HELP)
@with_appcontext
@_one_commit
def create_command(
    username: str,
    role: str,
    department_code: str | None,
    point_code: str | None,
    display_name: str,
    password: str | None,
) -> None:
    """新建账号。密码至少 8 位，含大写字母、小写字母、数字、符号中的至少三类。"""
    if password is None:
        staff_auth.check_new_user(username, role, department_code, point_code, display_name)
    user = staff_auth.create_user(
        username,
        _password(password),
        role,
        department_code=department_code,
        point_code=point_code,
        display_name=display_name,
    )
    click.echo(f"已创建账号 {user.username}（{staff_auth.ROLE_LABELS[user.role]}）")


@users_group.command("disable")
@click.argument("username")
@with_appcontext
@_one_commit
def disable_command(username: str) -> None:
    """停用账号，并使其所有登录立即失效。"""
    user = staff_auth.disable_user(username)
    click.echo(f"已停用账号 {user.username}，其登录已全部失效")


@users_group.command("enable")
@click.argument("username")
@with_appcontext
@_one_commit
def enable_command(username: str) -> None:
    """重新启用已停用的账号。"""
    user = staff_auth.enable_user(username)
    click.echo(f"已启用账号 {user.username}")


@users_group.command("reset-password")
@click.argument("username")
@click.option("--password", help=PASSWORD_HELP)
@with_appcontext
@_one_commit
def reset_password_command(username: str, password: str | None) -> None:
    """重设密码，同时解除锁定并使原有登录失效。"""
    staff_auth.get_user(username)  # an unknown name fails before the prompt
    user = staff_auth.reset_password(username, _password(password))
    click.echo(f"已重设账号 {user.username} 的密码，登录失败限制已解除，原有登录已失效")


@users_group.command("unlock")
@click.argument("username")
@with_appcontext
@_one_commit
def unlock_command(username: str) -> None:
    """解除账号的登录锁定（连续输错密码后），密码不变。"""
    user = staff_auth.unlock_user(username)
    click.echo(f"已解除账号 {user.username} 的登录锁定")


def _status(user: StaffUser) -> str:
    return "正常" if user.active else "已停用"


@users_group.command("list")
@with_appcontext
def list_command() -> None:
    """列出全部账号：用户名、角色、绑定、状态、最近登录（北京时间）。"""
    users = staff_auth.list_users()
    if not users:
        click.echo("尚无账号。用 flask users create 新建。")
        return
    for user in users:
        binding = user.department.code if user.department else user.point.code if user.point else "-"
        last = user.last_login_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if user.last_login_at else "从未登录"
        click.echo("\t".join([user.username, user.role, binding, _status(user), last, user.display_name or ""]))


# Development only: one account per role on the sample reference data, so the console can be tried at once.
SAMPLE_ACCOUNTS = (
    ("demo-triage", "triage", None, None, "示例研判人员"),
    ("demo-handler", "handler", "city-wb", None, "示例办理人员（市委办）"),
    ("demo-liaison", "liaison", None, "GC01", "示例观测点联络员"),
    ("demo-viewer", "viewer", None, None, "示例领导"),
    ("demo-admin", "admin", None, None, "示例管理员"),
)


@users_group.command("sample")
@with_appcontext
@_one_commit
def sample_command() -> None:
    """开发环境专用：为每个角色建一个示例账号（已有则重设密码），并打印用户名和密码。生产环境拒绝执行。"""
    from flask import current_app

    if current_app.config["FEEDBACK_ENV"] != "development":
        click.echo("示例账号只能在开发环境（FEEDBACK_ENV=development）中创建", err=True)
        raise click.exceptions.Exit(1)
    import secrets

    click.echo("开发环境示例账号（仅供本机试用）：")
    for username, role, department, point, name in SAMPLE_ACCOUNTS:
        password = f"Demo-{secrets.token_urlsafe(9)}"
        if staff_auth.find_user(username) is None:
            staff_auth.create_user(
                username, password, role, department_code=department, point_code=point, display_name=name
            )
        else:
            staff_auth.reset_password(username, password)
        click.echo(f"  用户名 {username:<14} 密码 {password}  （{staff_auth.ROLE_LABELS[role]}）")
