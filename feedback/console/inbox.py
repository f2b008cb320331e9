"""收件箱: every feedback, with the staff API's filters kept in the URL, and bulk triage decisions."""

from __future__ import annotations

import re
from typing import Any

from flask import g, render_template, request, url_for
from werkzeug.wrappers import Response

from feedback.console import bp, pages
from feedback.console.security import safe_next
from feedback.errors import Forbidden, ValidationFailed
from feedback.labels import FEEDBACK_STATUS_LABELS, KIND_LABELS
from feedback.services.handling.actors import Actor
from feedback.services.triage import bulk, choices_views, decisions
from feedback.services.triage import inbox as inbox_views
from feedback.workflow import ORG_ROLES, READER_ROLES

FILTERS = ("q", "status", "tag", "kind", "point", "region", "overdue", "order")
OVERDUE_CHOICES = {"true": "有超期交办单", "false": "没有超期交办单"}
ORDER_CHOICES = {"newest": "最新提交在前", "oldest": "最早提交在前"}
REGION = re.compile(r"^\d{2,12}$")
Q_MAX = 100
BULK_DONE = {
    "retag": "已修改 {n} 条反映的标签",
    "merge": "已将 {n} 条反映合并到 #{target}",
    "reject": "已对 {n} 条反映作出不予受理",
}


def _filters() -> tuple[dict[str, str], list[str]]:
    """The filters of the URL that are valid (as the API would take them), and a note on each dropped one."""
    raw = {name: request.args.get(name, "").strip() for name in FILTERS}
    notes = []
    checks = {
        "status": (lambda v: v in FEEDBACK_STATUS_LABELS, "状态"),
        "kind": (lambda v: v in KIND_LABELS, "类型"),
        "region": (lambda v: bool(REGION.match(v)), "区划代码（应为 2–12 位数字）"),
        "overdue": (lambda v: v in OVERDUE_CHOICES, "是否超期"),
        "order": (lambda v: v in ORDER_CHOICES, "排序"),
        "q": (lambda v: len(v) <= Q_MAX, f"搜索词（不超过 {Q_MAX} 个字）"),
        "tag": (lambda v: len(v) <= 32, "标签"),
        "point": (lambda v: len(v) <= 16, "观测点"),
    }
    kept = {}
    for name, value in raw.items():
        if not value:
            continue
        valid, label = checks[name]
        if valid(value):
            kept[name] = value
        else:
            notes.append(f"筛选条件“{label}”的值无效，已忽略")
    return kept, notes


def _require_reader() -> None:
    if g.staff.role not in READER_ROLES:
        raise Forbidden("收件箱只供组织部和领导查阅；部门的交办单请在“我的交办单”中办理")


@bp.route("/inbox")
def inbox():
    _require_reader()
    chosen, notes = _filters()
    paging = pages.paging()
    query = inbox_views.InboxQuery(
        status=chosen.get("status"),
        tag=chosen.get("tag"),
        kind=chosen.get("kind"),
        point=chosen.get("point"),
        region=chosen.get("region"),
        overdue={"true": True, "false": False}.get(chosen.get("overdue", "")),
        q=chosen.get("q"),
        order=chosen.get("order", "newest"),
        page=paging.page,
        per_page=paging.per_page,
        after=pages.after_cursor(),
        exact_total=request.args.get("exact") == "1",
    )
    items, total, next_after = inbox_views.list_inbox(query)
    return render_template(
        "console/inbox.html",
        rows=items,
        total=total.value,
        counted=total,
        next_after=next_after,
        paging=paging,
        chosen=chosen,
        filtered=bool(chosen.keys() - {"order"}),
        notes=notes,
        statuses=FEEDBACK_STATUS_LABELS,
        kinds=KIND_LABELS,
        overdue_choices=OVERDUE_CHOICES,
        order_choices=ORDER_CHOICES,
        tags=decisions.active_tags(),
        points=choices_views.points(),
        can_decide=g.staff.role in ORG_ROLES,
        per_page_choices=pages.PER_PAGE_CHOICES,
    )


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19]


@bp.route("/inbox/bulk", methods=["POST"])
def inbox_bulk() -> Response:
    if g.staff.role not in ORG_ROLES:
        raise Forbidden("只有组织部研判人员可以批量处理反映")
    form = request.form
    actor = Actor.staff(g.staff)
    ids = _ids(form.getlist("ids"))
    action = form.get("action", "")
    back = safe_next(form.get("back")) if form.get("back") else url_for("console.inbox")

    def note(name: str) -> str | None:
        return form.get(name, "").strip() or None

    target = int(form["target_id"]) if form.get("target_id", "").isdigit() else 0
    changes: dict[str, Any] = {
        "retag": lambda: bulk.retag(actor, ids, form.getlist("tags"), note("retag_note")),
        "merge": lambda: bulk.merge(actor, ids, target, note("merge_note")),
        "reject": lambda: bulk.reject(actor, ids, form.get("reason", "")),
    }
    if action not in changes:
        return pages.act(_no_action, "", back)
    merged = len([i for i in dict.fromkeys(ids) if i != target])
    done = BULK_DONE[action].format(n=merged if action == "merge" else len(set(ids)), target=target)
    return pages.act(changes[action], done, back)


def _no_action() -> None:
    raise ValidationFailed("请选择要执行的批量操作")
