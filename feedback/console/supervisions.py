"""督办通报 (org department and leaders): the 督办 and 通报 lists, filtered and paged, and a print view.

Reads ``services.reporting.supervision.list_supervisions``, as ``GET /api/staff/v1/supervisions`` does.
The print view is a page of its own, without the console's navigation, laid out for A4 paper with
the table header repeated on every printed page: the 通报 still goes round on paper.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, render_template, request

from feedback.clock import now
from feedback.console import bp, pages
from feedback.errors import Forbidden
from feedback.services.admin import reference_views
from feedback.services.reporting import supervision
from feedback.services.reporting.supervision import LEVEL_LABELS
from feedback.timeutil import local_date
from feedback.workflow import READER_ROLES

# The print view lists everything that matches, up to this many rows (a 通报 is never that long).
PRINT_LIMIT = 1000
TITLES = {"duban": "督办清单", "tongbao": "通报清单", "": "督办、通报清单"}


@dataclass(frozen=True)
class Filters:
    level: str
    open_only: bool
    department: str

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (defaults left out), for links between the list and the print view."""
        values = {"level": self.level, "department": self.department}
        if not self.open_only:
            values["state"] = "all"
        return {k: v for k, v in values.items() if v}

    def scope(self, departments: dict[str, str]) -> str:
        parts = ["未解除的" if self.open_only else "全部（含已解除的）"]
        parts.append(departments.get(self.department, self.department) if self.department else "全部部门")
        return "，".join(parts)


def _readers_only() -> None:
    if g.staff.role not in READER_ROLES:
        raise Forbidden("督办通报清单只对组织部和领导开放")


def _filters() -> Filters:
    level = request.args.get("level") or request.args.get("kind") or ""
    level = {label: code for code, label in LEVEL_LABELS.items()}.get(level, level)
    department = request.args.get("department", "")
    return Filters(
        level=level if level in LEVEL_LABELS else "",
        open_only=request.args.get("state") != "all",
        department=department if len(department) <= 32 else "",
    )


def _list(filters: Filters, page: int, per_page: int) -> tuple[list[dict], int]:
    items, total = supervision.list_supervisions(
        filters.level or None, filters.open_only, page, per_page, department_code=filters.department or None
    )
    for item in items:  # days as the org department reads them (Beijing time)
        item["created_day"] = local_date(item["created_at"]).isoformat()
        item["resolved_day"] = local_date(item["resolved_at"]).isoformat() if item["resolved_at"] else None
    return items, total


@bp.route("/supervisions")
def supervisions():
    _readers_only()
    filters, paging = _filters(), pages.paging()
    items, total = _list(filters, paging.page, paging.per_page)
    departments = reference_views.active_departments()
    return render_template(
        "console/supervisions.html",
        items=items,
        total=total,
        paging=paging,
        filters=filters,
        levels=LEVEL_LABELS,
        departments=departments,
        print_query=filters.query(),
    )


@bp.route("/supervisions/print")
def supervisions_print():
    _readers_only()
    filters = _filters()
    items, total = _list(filters, 1, PRINT_LIMIT)
    names = {d.code: d.name for d in reference_views.active_departments()}
    today = local_date(now())
    return render_template(
        "console/supervisions_print.html",
        items=items,
        total=total,
        title=TITLES[filters.level],
        scope=filters.scope(names),
        made_on=f"{today.year}年{today.month}月{today.day}日",
        limit=PRINT_LIMIT,
        back_query=filters.query(),
    )
