"""整改核验: the org department reads the complaint and the department's report side by side,
with the send-back history, and accepts (对账销号) or sends the report back; viewers read.
"""

from __future__ import annotations

from flask import g, render_template, request, url_for

from feedback.api.staff import ID
from feedback.api.staff.schemas_assignments import VerdictIn
from feedback.console import bp, pages
from feedback.console.assignments import TEMPLATE_HELPERS, actor, form_input, require
from feedback.services.handling import assignments, report_attachments, views
from feedback.workflow import ORG_ROLES, READER_ROLES

VERDICTS = {"pending": "待核验", "accepted": "已销号", "sent_back": "退回返工"}


@bp.route("/verifications")
def verifications():
    require(READER_ROLES, "只有组织部和领导可以查看整改核验")
    verdict = pages.choice("verdict", VERDICTS, "pending")
    paging = pages.paging()
    reports, total = views.list_reports(verdict, paging.page, paging.per_page)
    rows = [{"report": r, "assignment": views.detail(r.assignment)} for r in reports]
    return render_template(
        "console/verifications.html",
        rows=rows,
        total=total,
        paging=paging,
        verdict=verdict,
        verdicts=VERDICTS,
        **TEMPLATE_HELPERS,
    )


@bp.route(f"/verifications/{ID.format('report_id')}")
def verification_detail(report_id: int):
    require(READER_ROLES, "只有组织部和领导可以查看整改核验")
    report = assignments.get_report(report_id)
    assignment = report.assignment
    earlier = [r for r in assignment.reports if r.id != report.id]
    detail = views.detail(assignment)
    return render_template(
        "console/verification_detail.html",
        report=report,
        files=report_attachments.of_report(report),
        earlier=[{"report": r, "files": report_attachments.of_report(r)} for r in earlier],
        a=detail,
        complaint=detail["feedback"],  # the department's view: the content and the day
        can_decide=g.staff.role in ORG_ROLES,
        verdicts=VERDICTS,
        **TEMPLATE_HELPERS,
    )


@bp.post(f"/verifications/{ID.format('report_id')}/verdict")
def verification_verdict(report_id: int):
    require(ORG_ROLES, "只有组织部可以核验整改反馈")
    report = assignments.get_report(report_id)
    verdict = request.form.get("verdict", "")

    def change() -> None:
        data = form_input(VerdictIn, {"verdict": verdict, "note": request.form.get("note", "").strip() or None})
        decide = assignments.accept if data["verdict"] == "accept" else assignments.send_back
        decide(actor(), report, data.get("note"))

    done = "已对账销号" if verdict == "accept" else "已退回返工，部门将继续整改"
    return pages.act(change, done, url_for("console.verification_detail", report_id=report_id))
