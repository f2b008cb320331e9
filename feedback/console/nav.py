"""The console's main navigation: one entry per page, shown to the roles that may open it.

An entry whose endpoint is not registered (a page not built yet) is left out, so a page is added to
the menu by adding its line here and its view in its own module.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from feedback.workflow import ORG_ROLES, READER_ROLES, STAFF_ROLES


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: tuple[str, ...]


NAV: tuple[NavItem, ...] = (
    NavItem("console.home", "工作台", STAFF_ROLES),
    NavItem("console.inbox", "收件箱", READER_ROLES),
    NavItem("console.consultations", "会商", READER_ROLES),
    NavItem("console.extensions", "延期审批", READER_ROLES),
    NavItem("console.verifications", "整改核验", READER_ROLES),
    NavItem("console.supervisions", "督办通报", READER_ROLES),
    NavItem("console.assignments", "交办单", READER_ROLES),
    NavItem("console.my_assignments", "我的交办单", ("handler",)),
    NavItem("console.point_ledger", "观测点登记", ("liaison",)),
    NavItem("console.point_submit", "观测点反映", ("liaison",)),
    NavItem("console.analysis", "月度分析", READER_ROLES),
    NavItem("console.ledger", "观测点台账", READER_ROLES),
    NavItem("console.accounts", "账号管理", ("admin",)),
    NavItem("console.outbox", "消息发送", ("admin",)),
    NavItem("console.reference", "基础数据", ("admin",)),
    NavItem("console.system", "系统状态", ("admin",)),
    NavItem("console.notices", "我的通知", STAFF_ROLES),
    NavItem("console.password", "修改密码", STAFF_ROLES),
)

__all__ = ["NAV", "NavItem", "items_for", "ORG_ROLES"]


def items_for(role: str) -> list[NavItem]:
    built = current_app.view_functions
    return [item for item in NAV if role in item.roles and item.endpoint in built]


def page_url(endpoint: str, **values: object) -> str | None:
    """The URL of a console page, or None while that page does not exist (links render as text)."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None
