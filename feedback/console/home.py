"""工作台: where each role starts. The org department and leaders see every queue and the deadline board;
a handler sees their department's assignments that need attention; a liaison their point's 日登记."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import g, render_template

from feedback.console import bp
from feedback.services.admin.staff_auth import ROLE_LABELS
from feedback.services.handling import board_views, deadlines
from feedback.services.reporting import ledger, ledger_views
from feedback.services.triage import dashboard_views
from feedback.workflow import READER_ROLES

LEDGER_DAYS = 7  # the liaison's card looks back over the last week


def _liaison_card() -> dict[str, Any] | None:
    if g.staff.point_id is None:
        return None
    point = ledger.liaison_point(g.staff)
    today = ledger.today()
    week = ledger_views.point_days(point, ledger.Period(today - timedelta(days=LEDGER_DAYS - 1), today))
    return {
        "point": week["point"],
        "today": today,
        "recorded_today": any(e["day"] == today for e in week["entries"]),
        "workday_today": bool(ledger.workdays(ledger.Period(today, today))),
        "missing_days": week["missing_days"],
    }


@bp.route("/")
def home():
    staff = g.staff
    unit = staff.department.name if staff.department else (staff.point.name if staff.point else None)
    context: dict[str, Any] = {"role_label": ROLE_LABELS[staff.role], "unit": unit}
    if staff.role in READER_ROLES:
        context["queues"] = dashboard_views.queue_counts()
        context["board"] = board_views.deadline_board()
        context["state_labels"] = board_views.DUE_STATE_LABELS
    elif staff.role == "handler" and staff.department_id is not None:
        context["mine"] = board_views.department_card(staff.department_id)
        context["soon_days"] = deadlines.days("due_soon")
    elif staff.role == "liaison":
        context["ledger"] = _liaison_card()
    return render_template("console/home.html", **context)
