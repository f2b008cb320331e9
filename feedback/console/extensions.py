"""延期审批: the org department decides the departments' extension requests; viewers read them."""

from __future__ import annotations

from flask import g, render_template, request, url_for

from feedback.api.staff import ID
from feedback.api.staff.schemas_assignments import ExtensionDecisionIn
from feedback.console import bp, pages
from feedback.console.assignments import TEMPLATE_HELPERS, actor, form_input, require
from feedback.services.handling import assignments, views
from feedback.workflow import ORG_ROLES, READER_ROLES

SHOWN = {"requested": "待审批", "approved": "已同意", "refused": "未同意"}


@bp.route("/extensions")
def extensions():
    require(READER_ROLES, "只有组织部和领导可以查看延期申请")
    status = pages.choice("status", SHOWN, "requested")
    paging = pages.paging()
    items, total = views.list_extensions(status, paging.page, paging.per_page)
    return render_template(
        "console/extensions.html",
        items=items,
        total=total,
        paging=paging,
        status=status,
        shown=SHOWN,
        can_decide=g.staff.role in ORG_ROLES,
        **TEMPLATE_HELPERS,
    )


@bp.post(f"/extensions/{ID.format('request_id')}/decision")
def extension_decision(request_id: int):
    require(ORG_ROLES, "只有组织部可以审批延期申请")
    extension = assignments.get_extension_request(request_id)
    approve = request.form.get("decision") == "approve"

    def change() -> None:
        note = request.form.get("note", "").strip() or None
        data = form_input(ExtensionDecisionIn, {"approve": approve, "note": note})
        assignments.decide_extension(actor(), extension, data["approve"], data.get("note"))

    return pages.act(change, "已同意延期，办理期限已顺延" if approve else "已不同意延期", url_for("console.extensions"))
